// Rich-text editing of the cahier de textes: each <textarea data-rich> becomes an editable
// area with a formatting toolbar (bold, italic, underline, lists, link). The textarea stays in
// the form, hidden, and receives the HTML on submit; the server cleans it again (the same few
// tags). Without this script the textarea works as before (plain text, addresses made links).
// The toolbar follows the ARIA toolbar pattern: one Tab stop, arrow keys between its buttons.
(() => {
  const en = document.documentElement.lang === 'en';
  const words = en
    ? { toolbar: 'Formatting', bold: 'Bold', italic: 'Italic', underline: 'Underline', bullets: 'Bulleted list', numbers: 'Numbered list', link: 'Link', ask: 'Web address of the link (https://…)', empty: 'Please fill in this field.' }
    : { toolbar: 'Mise en forme', bold: 'Gras', italic: 'Italique', underline: 'Souligné', bullets: 'Liste à puces', numbers: 'Liste numérotée', link: 'Lien', ask: 'Adresse web du lien (https://…)', empty: 'Veuillez renseigner ce champ.' };
  const TAGS = new Set(['P', 'BR', 'STRONG', 'B', 'EM', 'I', 'U', 'S', 'SUB', 'SUP', 'UL', 'OL', 'LI', 'A', 'H3', 'H4', 'BLOCKQUOTE', 'CODE', 'PRE', 'DIV']);
  const safeHref = (h) => /^(https?:|mailto:)/i.test(h || '');

  // Copies what may be shown from an inert document into `into`: the tags above, text, links
  // with a web or mail address; anything else is replaced by its content.
  const copy = (from, into) => {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) into.append(node.textContent);
      else if (node.nodeType === Node.ELEMENT_NODE) {
        if (TAGS.has(node.tagName)) {
          const el = document.createElement(node.tagName === 'DIV' ? 'p' : node.tagName.toLowerCase());
          if (node.tagName === 'A' && safeHref(node.getAttribute('href'))) el.setAttribute('href', node.getAttribute('href'));
          copy(node, el);
          into.append(el);
        } else copy(node, into);
      }
    }
  };

  // What the textarea holds, as the editor shows it: HTML read into an inert document, or
  // plain text as paragraphs.
  const load = (text, editor) => {
    if (/<[a-z][\s\S]*>/i.test(text)) {
      copy(new DOMParser().parseFromString(text, 'text/html').body, editor);
    } else {
      for (const para of text.split(/\n\s*\n/)) {
        if (!para.trim()) continue;
        const p = document.createElement('p');
        para.split('\n').forEach((line, i) => { if (i) p.append(document.createElement('br')); p.append(line); });
        editor.append(p);
      }
    }
  };

  // Web addresses typed as text become links (as plain text does on the server).
  const linkAddresses = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) if (!walker.currentNode.parentElement.closest('a')) texts.push(walker.currentNode);
    for (const t of texts) {
      const parts = t.textContent.split(/(https?:\/\/[^\s<>"]+)/);
      if (parts.length < 2) continue;
      const frag = document.createDocumentFragment();
      parts.forEach((part, i) => {
        if (i % 2 === 0) { if (part) frag.append(part); return; }
        const a = document.createElement('a');
        a.href = part;
        a.textContent = part;
        frag.append(a);
      });
      t.replaceWith(frag);
    }
  };

  const BUTTONS = [
    ['bold', words.bold, true],
    ['italic', words.italic, true],
    ['underline', words.underline, true],
    ['insertUnorderedList', words.bullets, true],
    ['insertOrderedList', words.numbers, true],
    ['createLink', words.link, false],
  ];

  if (document.querySelector('textarea[data-rich]')) document.execCommand('defaultParagraphSeparator', false, 'p');
  document.querySelectorAll('textarea[data-rich]').forEach((area) => {
    const label = document.querySelector(`label[for="${area.id}"]`);
    const editor = document.createElement('div');
    editor.className = 'rich-editor';
    editor.contentEditable = 'true';
    editor.id = `${area.id}-editor`;
    editor.setAttribute('role', 'textbox');
    editor.setAttribute('aria-multiline', 'true');
    if (area.required) editor.setAttribute('aria-required', 'true');
    if (label) {
      label.id ||= `${area.id}-label`;
      label.removeAttribute('for');
      label.addEventListener('click', () => editor.focus());
      editor.setAttribute('aria-labelledby', label.id);
    }
    const help = area.getAttribute('aria-describedby');
    if (help) editor.setAttribute('aria-describedby', help);
    load(area.value, editor);

    const bar = document.createElement('div');
    bar.className = 'rich-toolbar';
    bar.setAttribute('role', 'toolbar');
    bar.setAttribute('aria-label', label ? `${words.toolbar} : ${label.textContent.trim()}` : words.toolbar);
    bar.setAttribute('aria-controls', editor.id);
    const buttons = BUTTONS.map(([command, name, toggles], i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = name;
      b.tabIndex = i === 0 ? 0 : -1;
      if (toggles) b.setAttribute('aria-pressed', 'false');
      // Keep the selection in the editor when the button is pressed with the mouse.
      b.addEventListener('mousedown', (e) => e.preventDefault());
      b.addEventListener('click', () => {
        editor.focus();
        if (command === 'createLink') {
          const url = window.prompt(words.ask, 'https://');
          if (url && safeHref(url.trim())) document.execCommand('createLink', false, url.trim());
        } else document.execCommand(command, false);
        update();
      });
      bar.append(b);
      return [command, b, toggles];
    });
    bar.addEventListener('keydown', (e) => {
      const list = buttons.map(([, b]) => b);
      const at = list.indexOf(document.activeElement);
      const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: list.length - 1 }[e.key];
      if (at < 0 || to === undefined) return;
      e.preventDefault();
      const next = list[(to + list.length) % list.length];
      list.forEach((b) => { b.tabIndex = b === next ? 0 : -1; });
      next.focus();
    });
    const update = () => {
      for (const [command, b, toggles] of buttons) {
        if (toggles) b.setAttribute('aria-pressed', String(document.queryCommandState(command)));
      }
    };
    document.addEventListener('selectionchange', () => { if (editor.contains(document.getSelection()?.anchorNode)) update(); });

    area.hidden = true;
    area.required = false;
    area.after(bar, editor);
    const alert = document.createElement('p');
    alert.className = 'error';
    alert.setAttribute('role', 'alert');
    alert.hidden = true;
    editor.after(alert);
    area.form?.addEventListener('submit', (e) => {
      const empty = !editor.textContent.trim();
      linkAddresses(editor);
      area.value = empty ? '' : editor.innerHTML;
      if (empty && editor.getAttribute('aria-required') === 'true') {
        e.preventDefault();
        alert.textContent = words.empty;
        alert.hidden = false;
        editor.focus();
      }
    });
  });
})();
