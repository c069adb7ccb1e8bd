// Live notifications: the page listens to /events (Server-Sent Events) and shows what arrives
// in the polite live region at the top; on the inbox, a new message is added to the list at
// once. Pages work without this script: the feed and the inbox have everything on reload.
(() => {
  if (!window.EventSource) return;
  const region = document.getElementById('live');
  const source = new EventSource('/events');
  source.addEventListener('notification', (e) => {
    let n;
    try { n = JSON.parse(e.data); } catch { return; }
    if (region) {
      const link = document.createElement('a');
      link.href = n.link;
      link.textContent = n.title;
      region.replaceChildren(link);
    }
    const inbox = document.querySelector('ul.messages[data-folder="inbox"]');
    if (inbox && n.kind === 'message') {
      const item = document.createElement('li');
      item.className = 'unread';
      const link = document.createElement('a');
      link.className = 'subject';
      link.href = n.link;
      link.textContent = n.title;
      item.append(link);
      inbox.prepend(item);
      document.querySelector('.when-empty')?.remove();
    }
  });
})();
