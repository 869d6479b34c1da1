/**
 * The exam page's question view (static/delivery/question_view.js).
 *
 * Renders one question into `#question` (`data-question-id`): its number,
 * kind, score and stem, its options as radios or checkboxes named
 * `q-<question id>` with the option key as value, the `#mark-toggle` state,
 * and the Previous / Next buttons (Next reads "Review and submit" on the last
 * question). `checkedValues()` reads the options picked.
 *
 * The view holds no exam state: the page passes the question, its answer and
 * its position, and wires the events. Each page creates its own view.
 */
import { format } from '../core/api.js';

export function formatNumber(value, lang) {
  const number = Number(value);
  return Number.isFinite(number)
    ? new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(number)
    : String(value);
}

/** One option: `<label><input name="q-<id>" value="<key>"> key. text</label>`. */
export function renderOption(question, option, checked) {
  const key = String(option.key);
  const inputId = `q-${question.id}-${key}`;
  const label = document.createElement('label');
  label.className = 'eh-option';
  label.htmlFor = inputId;
  const input = document.createElement('input');
  input.className = 'form-check-input';
  input.type = question.kind === 'multiple' ? 'checkbox' : 'radio';
  input.name = `q-${question.id}`;
  input.value = key;
  input.id = inputId;
  input.checked = checked;
  label.append(input);
  if (question.kind !== 'true_false') {
    const keySpan = document.createElement('span');
    keySpan.className = 'eh-option-key';
    keySpan.textContent = `${key}.`;
    label.append(keySpan);
  }
  const text = document.createElement('span');
  text.className = 'eh-option-text';
  text.textContent = option.text;
  label.append(text);
  return label;
}

/**
 * `el`: the page's elements (question, number, kind, score, stem, options,
 * markToggle, markIcon, markLabel, prev, nextLabel).
 */
export function createQuestionView({ el, strings, lang }) {
  function renderMarkToggle(marked) {
    el.markToggle.setAttribute('aria-pressed', String(marked));
    el.markIcon.className = marked ? 'bi bi-flag-fill' : 'bi bi-flag';
    el.markLabel.textContent = marked ? strings.unmark : strings.mark;
  }

  /** Show `question` (answered `answer`), number `index` + 1 of `total`. */
  function render(question, answer, { index, total }) {
    el.question.dataset.questionId = question.id;
    el.number.textContent = format(strings.questionNumber, {
      number: question.number, total,
    });
    el.kind.textContent = strings[`kind_${question.kind}`] || question.kind;
    el.score.textContent = format(strings.score, { score: formatNumber(question.score, lang) });
    el.stem.textContent = question.stem;
    el.options.replaceChildren(
      ...(question.options || []).map((option) =>
        renderOption(question, option, answer.value.includes(String(option.key))),
      ),
    );
    renderMarkToggle(answer.marked);
    const last = index === total - 1;
    el.prev.disabled = index === 0;
    el.nextLabel.textContent = last ? strings.reviewSubmit : strings.next;
  }

  /** The values of the options picked in the shown question. */
  function checkedValues() {
    return [...el.options.querySelectorAll('input:checked')].map((input) => input.value);
  }

  return { render, renderMarkToggle, checkedValues };
}
