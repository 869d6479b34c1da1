/**
 * Subject choice page (delivery/exam_entry.html) — static/delivery/entry.js.
 *
 * Step 2 of the candidate's path: "choose the specialty you registered for,
 * don't click the wrong one". Clicking a subject button (`data-subject-code`)
 * opens a Bootstrap confirm modal naming the subject in bold; Confirm
 * (`#confirm-subject`) goes to the login page of that subject
 * (`data-login-url`), Cancel closes the modal.
 */
import { format, readJsonScript } from '../core/api.js';

const strings = readJsonScript('i18n');
const modalElement = document.getElementById('subject-modal');
const modalText = document.getElementById('subject-modal-text');
const confirmButton = document.getElementById('confirm-subject');
let chosenUrl = null;

/** Build "You chose <strong>name</strong>. …" without inserting HTML. */
function renderQuestion(subjectName) {
  const template = strings.confirmSubject || '{subject}';
  const [before, ...rest] = template.split('{subject}');
  const strong = document.createElement('strong');
  strong.textContent = subjectName;
  modalText.replaceChildren(
    document.createTextNode(before),
    strong,
    document.createTextNode(format(rest.join('{subject}'), { subject: subjectName })),
  );
}

function choose(button) {
  chosenUrl = button.dataset.loginUrl;
  renderQuestion(button.dataset.subjectName || button.dataset.subjectCode);
  if (window.bootstrap) {
    window.bootstrap.Modal.getOrCreateInstance(modalElement).show();
  } else if (window.confirm(modalText.textContent)) {
    window.location.assign(chosenUrl);
  }
}

for (const button of document.querySelectorAll('[data-subject-code]')) {
  button.addEventListener('click', () => choose(button));
}

confirmButton.addEventListener('click', () => {
  if (chosenUrl) {
    confirmButton.disabled = true;
    window.location.assign(chosenUrl);
  }
});

modalElement.addEventListener('hidden.bs.modal', () => {
  confirmButton.disabled = false;
});

// Back/forward cache: a page restored after Confirm must be usable again.
window.addEventListener('pageshow', () => {
  confirmButton.disabled = false;
});
