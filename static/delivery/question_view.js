/**
 * The exam page's question view (static/delivery/question_view.js).
 *
 * Renders one question into `#question` (`data-question-id`): its number,
 * kind, score and stem, its options as radios or checkboxes named
 * `q-<question id>` with the option key as value, the `#mark-toggle` state,
 * and the Previous / Next buttons (Next reads "Review and submit" on the last
 * question). `checkedValues()` reads the options picked.
 *
 * A fill_blank question has no options: its stem is rendered with one text
 * input per gap where its `{{key}}` marker stands (`name="q-<id>-<key>"`,
 * `data-blank-key`), a gap without a marker gets its input after the stem;
 * `blankValues(question)` reads the texts in `blanks` order.
 *
 * An essay question (marked later by people) has neither options nor gaps:
 * its stem is shown as text and `#question-essay` holds one large textarea
 * (`name="q-<id>-text"`, `data-essay`, at most ESSAY_MAX_LENGTH characters)
 * with a live character count below it; `essayValue()` reads `[text]`.
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

export const BLANK_MAX_LENGTH = 200;
const GAP_MARKER = /\{\{([^{}]+)\}\}/g;

/** One gap's text input, labelled "Blank {number}" (its position in `blanks`). */
export function renderBlankInput(question, key, position, value, strings) {
  const label = format(strings.blank, { number: position + 1 });
  const input = document.createElement('input');
  input.type = 'text';
  input.className = 'eh-blank';
  input.name = `q-${question.id}-${key}`;
  input.dataset.blankKey = key;
  input.maxLength = BLANK_MAX_LENGTH;
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.setAttribute('autocapitalize', 'off');
  input.setAttribute('autocorrect', 'off');
  input.setAttribute('aria-label', label);
  input.placeholder = label;
  input.value = value ?? '';
  return input;
}

/** Punctuation that must not start a line: kept with the gap before it. */
const CLOSING_PUNCTUATION = /^[，。、；：？！）》〉」』】〕”’…,.;:?!)\]}%]+/;

/**
 * The stem of a fill_blank question as nodes: its text (as text nodes, never
 * markup) with an input where each gap's `{{key}}` marker stands. A gap and
 * the punctuation right after it stay on one line (`.eh-blank-group`).
 */
export function renderFillBlankStem(question, value, strings) {
  const keys = (question.blanks || []).map(String);
  const valueOf = (key) => {
    const text = Array.isArray(value) ? value[keys.indexOf(key)] : '';
    return typeof text === 'string' ? text : '';
  };
  const stem = String(question.stem ?? '');
  const parts = []; // strings (stem text) and elements (gaps), in order
  const placed = new Set();
  let last = 0;
  for (const match of stem.matchAll(GAP_MARKER)) {
    const key = match[1].trim();
    const position = keys.indexOf(key);
    if (position < 0) {
      continue; // not a gap of this question: left as text
    }
    parts.push(stem.slice(last, match.index));
    if (placed.has(key)) {
      // The same gap marked twice: one input only; the repeat names it.
      const repeat = document.createElement('span');
      repeat.className = 'eh-blank-repeat';
      repeat.textContent = format(strings.blank, { number: position + 1 });
      parts.push(repeat);
    } else {
      parts.push(renderBlankInput(question, key, position, valueOf(key), strings));
      placed.add(key);
    }
    last = match.index + match[0].length;
  }
  parts.push(stem.slice(last));
  keys.forEach((key, position) => {
    if (!placed.has(key)) {
      parts.push(' ', renderBlankInput(question, key, position, valueOf(key), strings));
    }
  });

  const nodes = [];
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index];
    if (typeof part === 'string') {
      if (part) {
        nodes.push(document.createTextNode(part));
      }
      continue;
    }
    const next = parts[index + 1];
    const punctuation = typeof next === 'string' ? next.match(CLOSING_PUNCTUATION) : null;
    if (!punctuation) {
      nodes.push(part);
      continue;
    }
    const group = document.createElement('span');
    group.className = 'eh-blank-group';
    group.append(part, document.createTextNode(punctuation[0]));
    nodes.push(group);
    parts[index + 1] = next.slice(punctuation[0].length);
  }
  return nodes;
}

export const ESSAY_MAX_LENGTH = 20000; // the server refuses longer texts

/**
 * An essay's text, at most ESSAY_MAX_LENGTH UTF-16 units (what `maxlength`
 * counts; the server counts characters, never more), not cut inside a pair.
 */
export function essayText(text) {
  const value = String(text ?? '');
  if (value.length <= ESSAY_MAX_LENGTH) {
    return value;
  }
  const cut = value.slice(0, ESSAY_MAX_LENGTH);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Show how much of the essay's room is used: "{count} / {max}". */
function renderEssayCount(counter, length, strings) {
  counter.textContent = format(strings.essayCount, { count: length, max: ESSAY_MAX_LENGTH });
  counter.dataset.count = String(length);
  counter.classList.toggle('is-full', length >= ESSAY_MAX_LENGTH);
}

/**
 * An essay's answer area: the textarea (its text restored from `value`, a
 * list with one string) and its character count, kept up to date as one types.
 */
export function renderEssayAnswer(question, value, strings) {
  const text = Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';
  const textarea = document.createElement('textarea');
  textarea.className = 'form-control eh-essay-text';
  textarea.name = `q-${question.id}-text`;
  textarea.id = `q-${question.id}-text`;
  textarea.dataset.essay = '';
  textarea.rows = 10;
  textarea.maxLength = ESSAY_MAX_LENGTH;
  textarea.autocomplete = 'off';
  textarea.spellcheck = false;
  textarea.setAttribute('aria-label', strings.essayAnswer);
  textarea.value = essayText(text);

  const counter = document.createElement('div');
  counter.className = 'eh-essay-count';
  counter.id = `q-${question.id}-count`;
  textarea.setAttribute('aria-describedby', counter.id);
  renderEssayCount(counter, textarea.value.length, strings);
  textarea.addEventListener('input', () => {
    renderEssayCount(counter, textarea.value.length, strings);
  });
  return [textarea, counter];
}

/**
 * `el`: the page's elements (question, number, kind, score, stem, fieldset,
 * options, essay, markToggle, markIcon, markLabel, prev, nextLabel).
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
    const fillBlank = question.kind === 'fill_blank';
    if (fillBlank) {
      el.stem.replaceChildren(...renderFillBlankStem(question, answer.value, strings));
    } else {
      el.stem.textContent = question.stem;
    }
    el.stem.classList.toggle('eh-stem-blanks', fillBlank);
    const essay = question.kind === 'essay';
    // No options: the gaps are in the stem, the essay's text in its own area.
    el.fieldset.hidden = fillBlank || essay;
    el.essay.hidden = !essay;
    el.essay.replaceChildren(...(essay ? renderEssayAnswer(question, answer.value, strings) : []));
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

  /** The gaps' texts of the shown fill_blank `question`, in `blanks` order. */
  function blankValues(question) {
    const inputs = new Map(
      [...el.stem.querySelectorAll('input[data-blank-key]')].map((input) => [
        input.dataset.blankKey, input,
      ]),
    );
    return (question.blanks || []).map((key) =>
      (inputs.get(String(key))?.value ?? '').slice(0, BLANK_MAX_LENGTH),
    );
  }

  /** The gap inputs of the shown question (none for the other kinds). */
  function blankInputs() {
    return [...el.stem.querySelectorAll('input[data-blank-key]')];
  }

  /** The shown essay's text as its answer value, `[text]`. */
  function essayValue() {
    return [essayText(el.essay.querySelector('textarea[data-essay]')?.value)];
  }

  /** Where the shown question is typed: its gap inputs or its essay textarea. */
  function textInputs() {
    return [...blankInputs(), ...el.essay.querySelectorAll('textarea[data-essay]')];
  }

  return {
    render, renderMarkToggle, checkedValues, blankValues, blankInputs, essayValue, textInputs,
  };
}
