// cyclefleet dashboard: refreshes the page's <main id="live"> in place and runs the action buttons through the API.
// No framework: the pages are rendered by the orchestrator; this only keeps them current.
(function () {
  'use strict';
  const CSRF = { 'X-Cyclefleet-Dashboard': '1' };   // required with the session cookie for any write (see DashboardSession)
  const every = 1000 * (parseInt(document.body.dataset.refresh, 10) || 5);
  let paused = false;
  let inFlight = false;

  function flash(text, bad) {
    const box = document.getElementById('flash');
    const d = document.createElement('div');
    d.textContent = text;
    if (bad) d.className = 'bad';
    box.appendChild(d);
    setTimeout(() => d.remove(), bad ? 8000 : 3000);
  }

  function state(text) {
    const s = document.getElementById('refresh-state');
    if (s) s.textContent = text;
  }

  async function refresh() {
    if (paused || inFlight || document.hidden) return;
    inFlight = true;
    try {
      const r = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (r.redirected && new URL(r.url).pathname === '/dashboard/login') { location.assign(r.url); return; }
      if (!r.ok) { state('refresh failed (' + r.status + ')'); return; }
      const fresh = new DOMParser().parseFromString(await r.text(), 'text/html').getElementById('live');
      const open = Array.from(document.querySelectorAll('#live details[open]')).map(d => d.closest('[id]') && d.closest('[id]').id);
      if (fresh) {
        document.getElementById('live').replaceWith(fresh);
        open.forEach(id => { const d = id && document.getElementById(id); if (d && d.querySelector('details')) d.querySelector('details').open = true; });
      }
      state('updated ' + new Date().toLocaleTimeString());
    } catch (e) {
      state('refresh failed: ' + e.message);
    } finally {
      inFlight = false;
    }
  }

  async function act(button) {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    button.disabled = true;
    try {
      const r = await fetch(button.dataset.action, {
        method: 'POST', credentials: 'same-origin',
        headers: Object.assign({ 'Content-Type': 'application/json', Accept: 'application/json' }, CSRF),
        body: button.dataset.body || ''
      });
      if (r.ok) {
        flash(button.textContent.trim() + ': done');
        await refresh();
      } else {
        let why = 'HTTP ' + r.status;
        try { const e = await r.json(); why += ': ' + (e.message || e.error); } catch (ignored) { /* not JSON */ }
        flash(button.textContent.trim() + ' refused, ' + why, true);
        button.disabled = false;
      }
    } catch (e) {
      flash(button.textContent.trim() + ' failed: ' + e.message, true);
      button.disabled = false;
    }
  }

  document.addEventListener('click', e => {
    const b = e.target.closest('button[data-action]');
    if (b) act(b);
    if (e.target.id === 'refresh-toggle') {
      paused = !paused;
      e.target.textContent = paused ? 'resume' : 'pause';
      state(paused ? 'paused' : 'live');
      if (!paused) refresh();
    }
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  setInterval(refresh, every);
})();
