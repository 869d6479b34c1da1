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
 * Texts (stems, options, a case's material) arrive as safe HTML: the server
 * keeps only simple formatting, tables and images (`display_html`), so they
 * are set as markup. A case's sub-question shows the case's material in
 * `#question-case` above its own stem ("Case 2 · part 1 of 3"), scrollable on
 * its own so a long material never pushes the answer out of reach.
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
  text.className = 'eh-option-text eh-rich';
  text.innerHTML = String(option.text ?? ''); // safe HTML from the server
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
 * The stem of a fill_blank question as nodes: its markup (safe HTML from the
 * server) with an input where each gap's `{{key}}` marker stands. A gap and
 * the punctuation right after it stay on one line (`.eh-blank-group`).
 */
export function renderFillBlankStem(question, value, strings) {
  const keys = (question.blanks || []).map(String);
  const valueOf = (key) => {
    const text = Array.isArray(value) ? value[keys.indexOf(key)] : '';
    return typeof text === 'string' ? text : '';
  };
  const slots = []; // the gap key of each placeholder, in order
  const markup = String(question.stem ?? '').replace(GAP_MARKER, (marker, rawKey) => {
    const key = rawKey.trim();
    if (!keys.includes(key)) {
      return marker; // not a gap of this question: left as text
    }
    slots.push(key);
    return `<span data-gap-slot="${slots.length - 1}"></span>`;
  });
  const holder = document.createElement('div');
  holder.innerHTML = markup;
  const placed = new Set();
  for (const slot of holder.querySelectorAll('span[data-gap-slot]')) {
    const key = slots[Number(slot.dataset.gapSlot)];
    const position = keys.indexOf(key);
    let gap;
    if (placed.has(key)) {
      // The same gap marked twice: one input only; the repeat names it.
      gap = document.createElement('span');
      gap.className = 'eh-blank-repeat';
      gap.textContent = format(strings.blank, { number: position + 1 });
    } else {
      gap = renderBlankInput(question, key, position, valueOf(key), strings);
      placed.add(key);
    }
    const next = slot.nextSibling;
    const punctuation = next?.nodeType === Node.TEXT_NODE
      ? next.data.match(CLOSING_PUNCTUATION) : null;
    if (punctuation) {
      const group = document.createElement('span');
      group.className = 'eh-blank-group';
      group.append(gap, document.createTextNode(punctuation[0]));
      next.data = next.data.slice(punctuation[0].length);
      slot.replaceWith(group);
    } else {
      slot.replaceWith(gap);
    }
  }
  keys.forEach((key, position) => {
    if (!placed.has(key)) {
      holder.append(' ', renderBlankInput(question, key, position, valueOf(key), strings));
    }
  });
  return [...holder.childNodes];
}

/** A case's material above its sub-question (hidden for other questions). */
function renderCase(el, question, strings) {
  const { case: shownCase } = question;
  el.caseSection.hidden = !shownCase;
  if (!shownCase) {
    el.caseMaterial.replaceChildren();
    delete el.caseSection.dataset.caseId;
    return;
  }
  el.caseTitle.textContent = format(strings.caseTitle, {
    number: shownCase.number, position: shownCase.position, size: shownCase.size,
  });
  if (el.caseSection.dataset.caseId !== shownCase.id) {
    // A new case: its material from the top. The same case: the reader's place is kept.
    el.caseMaterial.innerHTML = String(shownCase.material ?? ''); // safe HTML
    el.caseMaterial.scrollTop = 0;
    el.caseSection.dataset.caseId = shownCase.id;
  }
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
 * `el`: the page's elements (question, number, kind, score, stem, caseSection,
 * caseTitle, caseMaterial, fieldset, options, essay, markToggle, markIcon,
 * markLabel, prev, nextLabel).
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
    renderCase(el, question, strings);
    if (fillBlank) {
      el.stem.replaceChildren(...renderFillBlankStem(question, answer.value, strings));
    } else {
      el.stem.innerHTML = String(question.stem ?? ''); // safe HTML from the server
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
