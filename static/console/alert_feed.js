/**
 * The room view's alert feed — static/console/alert_feed.js.
 *
 * `createAlertFeed({list, empty, clock, detailUrlOf})`: `add(tone, text, id)` puts an
 * alert on top (tone: danger | warning | primary | success | info; `id` the tile's
 * registration id, which a click on the alert hands to the page), at most 100 kept;
 * `clear()` empties it.
 */

const FEED_MAX = 100;

export function createAlertFeed({ list, empty, clock, t, detailUrlOf, onOpen }) {
  function add(tone, text, registrationId) {
    const item = document.createElement('li');
    item.className = `eh-alert eh-alert-${tone}`;
    item.dataset.tone = tone;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'eh-alert-text';
    button.dataset.registrationId = registrationId || '';
    const time = document.createElement('time');
    time.textContent = new Date(clock.now()).toLocaleTimeString(
      document.documentElement.lang || undefined,
      { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    button.append(time, document.createTextNode(text));
    item.append(button);
    const url = registrationId ? detailUrlOf(registrationId) : '';
    if (url) {
      const link = document.createElement('a');
      link.href = url;
      link.className = 'eh-alert-link';
      link.title = t.openDetail;
      link.setAttribute('aria-label', t.openDetail);
      const icon = document.createElement('i');
      icon.className = 'bi bi-box-arrow-up-right';
      icon.setAttribute('aria-hidden', 'true');
      link.append(icon);
      item.append(link);
    }
    list.prepend(item);
    while (list.children.length > FEED_MAX) {
      list.lastElementChild.remove();
    }
    empty.hidden = true;
  }

  function clear() {
    list.replaceChildren();
    empty.hidden = false;
  }

  list.addEventListener('click', (event) => {
    const button = event.target.closest('.eh-alert-text');
    if (button && button.dataset.registrationId) {
      onOpen(button.dataset.registrationId);
    }
  });

  return { add, clear };
}
