// shugai pages: enhancements only. Draws the charts whose ECharts options the server put in
// data-chart, polls live.json on the plant page, and logs in through the JSON session API.

const charts = new Map();

function draw(el, options) {
  if (!window.echarts) return;
  let chart = charts.get(el.id);
  if (!chart) {
    chart = window.echarts.init(el);
    charts.set(el.id, chart);
  }
  chart.setOption(options, true);
}

function drawAll() {
  for (const el of document.querySelectorAll('[data-chart]')) {
    try {
      draw(el, JSON.parse(el.getAttribute('data-chart')));
    } catch (error) {
      console.error('chart', el.id, error);
    }
  }
  window.addEventListener('resize', () => {
    for (const chart of charts.values()) chart.resize();
  });
}

function live() {
  const plant = document.getElementById('plant');
  if (!plant) return;
  const url = plant.getAttribute('data-live-url');
  const every = Number(plant.getAttribute('data-every')) || 5000;
  const status = document.getElementById('live-status');
  async function refresh() {
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      for (const [key, text] of Object.entries(data.cells)) {
        const cell = plant.querySelector(`[data-cell="${CSS.escape(key)}"]`);
        if (cell) cell.textContent = text;
      }
      for (const [id, options] of Object.entries(data.charts)) {
        const el = document.getElementById(id);
        if (el) draw(el, options);
      }
      plant.setAttribute('data-updated', String(data.at));
    } catch (error) {
      if (status) status.textContent = `⚠ ${error.message}`;
    }
  }
  setInterval(refresh, every);
}

function login() {
  const form = document.getElementById('login');
  if (!form) return;
  const error = document.getElementById('login-error');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    const password = form.elements.password.value;
    const show = (key) => {
      error.textContent = error.getAttribute(`data-${key}`);
      error.hidden = false;
    };
    if (!name || !password) return show('missing');
    const response = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ name, password }),
    });
    if (response.ok) {
      window.location.assign(form.getAttribute('data-next') || '/');
      return;
    }
    show(response.status === 429 ? 'limited' : 'failed');
    form.elements.password.focus();
  });
}

document.addEventListener('DOMContentLoaded', () => {
  drawAll();
  live();
  login();
  const summary = document.getElementById('errors');
  if (summary) summary.focus();
});
