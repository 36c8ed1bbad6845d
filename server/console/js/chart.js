// A small live line chart on a canvas: a few series of per-second rates,
// scaled to the device's pixels, redrawn on every update.

export class RateChart {
  constructor({ title, series, unit = '/s' }) {
    this.series = series;
    this.unit = unit;
    this.values = series.map(() => []);
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', title);
    this.legend = document.createElement('div');
    this.legend.className = 'legend';
    this.el = document.createElement('figure');
    this.el.className = 'chart card';
    const caption = document.createElement('figcaption');
    caption.textContent = title;
    this.el.append(caption, this.legend, this.canvas);
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  /** New data: one array of values (oldest first) per series. */
  update(values) {
    this.values = values.map((v) => (Array.isArray(v) ? v : []));
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(this.el);
    const grid = style.getPropertyValue('--border').trim() || '#ddd';
    const muted = style.getPropertyValue('--muted').trim() || '#888';
    const points = Math.max(2, ...this.values.map((v) => v.length));
    const max = niceMax(Math.max(1, ...this.values.flat()));
    const left = 44;
    const top = 8;
    const bottom = height - 20;
    const right = width - 8;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = muted;
    ctx.strokeStyle = grid;
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = Math.round(top + ((bottom - top) * i) / 4) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      ctx.textAlign = 'right';
      ctx.fillText(formatTick((max * (4 - i)) / 4), left - 6, y + 4);
    }
    ctx.textAlign = 'left';
    ctx.fillText(`${points}s ago`, left, height - 4);
    ctx.textAlign = 'right';
    ctx.fillText('now', right, height - 4);
    this.series.forEach((s, index) => {
      const values = this.values[index];
      if (values.length === 0) return;
      const x = (i) => left + ((right - left) * (i + points - values.length)) / (points - 1);
      const y = (v) => bottom - ((bottom - top) * v) / max;
      ctx.beginPath();
      ctx.moveTo(x(0), y(values[0]));
      for (let i = 1; i < values.length; i++) ctx.lineTo(x(i), y(values[i]));
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.stroke();
      ctx.lineTo(x(values.length - 1), bottom);
      ctx.lineTo(x(0), bottom);
      ctx.closePath();
      ctx.globalAlpha = 0.12;
      ctx.fillStyle = s.color;
      ctx.fill();
      ctx.globalAlpha = 1;
    });
    this.legend.replaceChildren(
      ...this.series.map((s, index) => {
        const item = document.createElement('span');
        const last = this.values[index].at(-1) ?? 0;
        item.innerHTML = '<i></i>';
        item.firstChild.style.background = s.color;
        item.append(`${s.label} ${formatTick(last)}${this.unit}`);
        return item;
      }),
    );
  }
}

function niceMax(value) {
  const exponent = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * exponent) return step * exponent;
  return 10 * exponent;
}

function formatTick(v) {
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
