/**
 * The exam page's question palette (static/delivery/palette.js).
 *
 * One button per question in `#palette` (`data-question-id`, and
 * `data-answered` / `data-marked` plus the is-answered / is-marked /
 * is-current classes and a spoken label), and the "{answered} of {total}
 * answered" summary. `countAnswers()` gives the answered / unanswered /
 * marked counts (also shown by the submit dialog).
 *
 * The palette owns no exam state: the page passes how to read an answer
 * (`answerOf`), which question is current (`currentId`) and what a click
 * does (`onSelect(index)`). Each page creates its own palette.
 */
import { format } from '../core/api.js';

/**
 * Whether an answer value counts as answered: the option keys picked, a
 * fill_blank's texts (one per gap) of which at least one is not blank, or an
 * essay's `[text]` whose text is not blank (white space alone is not an answer).
 */
export function isAnswered(value) {
  return Array.isArray(value) && value.some((entry) => String(entry ?? '').trim() !== '');
}

/** Answered / unanswered / marked counts over `questions`. */
export function countAnswers(questions, answerOf) {
  let answered = 0;
  let marked = 0;
  for (const question of questions) {
    const answer = answerOf(question.id);
    answered += isAnswered(answer.value) ? 1 : 0;
    marked += answer.marked ? 1 : 0;
  }
  return { answered, unanswered: questions.length - answered, marked };
}

export function createPalette({ container, summary, strings, answerOf, currentId, onSelect }) {
  const buttons = new Map();
  const questionsById = new Map();
  let questions = [];

  function update(questionId) {
    const button = buttons.get(questionId);
    if (!button) {
      return;
    }
    const question = questionsById.get(questionId);
    const answer = answerOf(questionId);
    const answered = isAnswered(answer.value);
    const isCurrent = currentId() === questionId;
    button.classList.toggle('is-answered', answered);
    button.classList.toggle('is-marked', answer.marked);
    button.classList.toggle('is-current', isCurrent);
    button.dataset.answered = String(answered);
    button.dataset.marked = String(answer.marked);
    const labels = [
      format(strings.paletteQuestion, { number: question.number }),
      answered ? strings.answered : strings.unanswered,
    ];
    if (answer.marked) {
      labels.push(strings.marked);
    }
    if (isCurrent) {
      labels.push(strings.current);
      button.setAttribute('aria-current', 'step');
    } else {
      button.removeAttribute('aria-current');
    }
    button.setAttribute('aria-label', labels.join(', '));
  }

  function updateAll() {
    questions.forEach((question) => update(question.id));
  }

  function counts() {
    return countAnswers(questions, answerOf);
  }

  function updateSummary() {
    summary.textContent = format(strings.answeredSummary, {
      answered: counts().answered, total: questions.length,
    });
  }

  /** (Re)build the buttons for `list`, the paper's questions in order. */
  function build(list) {
    questions = list;
    buttons.clear();
    questionsById.clear();
    questions.forEach((question) => questionsById.set(question.id, question));
    const elements = questions.map((question, index) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'eh-palette-button';
      button.dataset.questionId = question.id;
      button.textContent = String(question.number);
      button.addEventListener('click', () => onSelect(index));
      buttons.set(question.id, button);
      return button;
    });
    container.replaceChildren(...elements);
    updateAll();
    updateSummary();
  }

  return { build, update, updateAll, counts, updateSummary };
}
