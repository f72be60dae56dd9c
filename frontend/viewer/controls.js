// The channel list: one row per channel (from the page's <template>), each with an on/off
// checkbox named after the channel, a colour and two contrast-limit sliders.
import { hexToRgb, rgbToHex } from "./channels.js";

function formatValue(value, step) {
  return step >= 1 ? String(Math.round(value)) : value.toPrecision(4);
}

export class ChannelList {
  constructor(list, template, { onChange, limit, announce }) {
    this.list = list;
    this.template = template;
    this.onChange = onChange;
    this.limit = limit;
    this.announce = announce;
    this.channels = [];
    this.rows = [];
  }

  render(channels, series) {
    this.channels = channels;
    const integer = !/^Float/.test(series.dtype);
    this.rows = channels.map((channel) => this.row(channel, integer, series.index));
    this.list.replaceChildren(...this.rows.map((row) => row.element));
  }

  row(channel, integer, seriesIndex) {
    const element = this.template.content.firstElementChild.cloneNode(true);
    const field = (name) => element.querySelector(`[data-field="${name}"]`);
    const id = `${this.list.id}-s${seriesIndex}-c${channel.index}`;
    const visible = field("visible");
    const name = field("name");
    const color = field("color");
    const lo = field("lo");
    const hi = field("hi");
    const shown = field("limits");
    visible.id = `${id}-on`;
    visible.checked = channel.visible;
    name.htmlFor = visible.id;
    name.textContent = channel.name;
    const key = channel.index < 9 ? ` (key ${channel.index + 1})` : "";
    visible.setAttribute("aria-label", `Show ${channel.name}${key}`);
    color.value = rgbToHex(channel.color);
    color.setAttribute("aria-label", `Colour of ${channel.name}`);
    const [min, max] = channel.range;
    const step = integer ? 1 : (max - min) / 1000;
    for (const [input, label] of [
      [lo, "lower"],
      [hi, "upper"],
    ]) {
      input.min = String(min);
      input.max = String(max);
      input.step = String(step);
      input.setAttribute("aria-label", `${channel.name}: ${label} contrast limit`);
    }
    lo.value = String(channel.limits[0]);
    hi.value = String(channel.limits[1]);
    const showLimits = () => {
      const [a, b] = channel.limits.map((v) => formatValue(v, step));
      shown.textContent = `Contrast ${a} – ${b}`;
      lo.setAttribute("aria-valuetext", a);
      hi.setAttribute("aria-valuetext", b);
    };
    showLimits();
    element.style.setProperty("--channel-colour", color.value);

    visible.addEventListener("change", () => this.setVisible(channel.index, visible.checked));
    color.addEventListener("input", () => {
      channel.color = hexToRgb(color.value) || channel.color;
      element.style.setProperty("--channel-colour", color.value);
      this.onChange();
    });
    const limitsChanged = (moved) => {
      let a = Number(lo.value);
      let b = Number(hi.value);
      // The limits never cross: the slider being moved pushes the other one along.
      if (a >= b) {
        if (moved === lo) b = Math.min(max, a + step);
        else a = Math.max(min, b - step);
        if (a >= b) a = b - step;
        lo.value = String(a);
        hi.value = String(b);
      }
      channel.limits = [a, b];
      showLimits();
      this.onChange();
    };
    lo.addEventListener("input", () => limitsChanged(lo));
    hi.addEventListener("input", () => limitsChanged(hi));
    return { element, visible };
  }

  setVisible(index, on) {
    const channel = this.channels[index];
    const row = this.rows[index];
    if (!channel) return;
    if (on && !channel.visible && this.channels.filter((c) => c.visible).length >= this.limit) {
      row.visible.checked = false;
      this.announce(`At most ${this.limit} channels can be shown at once: hide one first.`);
      return;
    }
    channel.visible = on;
    row.visible.checked = on;
    this.onChange();
  }

  toggle(index) {
    const channel = this.channels[index];
    if (channel) this.setVisible(index, !channel.visible);
  }
}
