// One OME-Zarr viewer: a deck.gl canvas drawing Viv's MultiscaleImageLayer, with page controls
// for the image, series, z-plane, time point, channels and zoom, a scale bar and a spoken status.
import { Deck, OrthographicView } from "@deck.gl/core";
import { MultiscaleImageLayer } from "@hms-dbmi/viv";
import { channelDefaults, defaultPlane, MAX_CHANNELS } from "./channels.js";
import { CodecError } from "./codecs.js";
import { ChannelList } from "./controls.js";
import { scaleBar } from "./scalebar.js";
import { openDataset, openSeries, readOmeXml, selectionFor, SourceError } from "./source.js";

const MAX_ZOOM = 5; // 32 screen pixels per image pixel
const ZOOM_OUT_BELOW_FIT = 2; // may zoom out to a quarter of the fitting size
const PAN_FRACTION = 1 / 8;

function describeError(error) {
  if (error instanceof SourceError) return error.message;
  if (error instanceof CodecError && error.unsupported) return error.message;
  // zarr.js wraps nothing: a codec's own error, or a fetch failure, arrives as it was thrown.
  if (error instanceof CodecError || error?.name === "CodecError") {
    return `Part of this image is damaged and cannot be shown: ${error.message} The rest of the dataset is not affected.`;
  }
  return "The image could not be read from the server. Reload the page to try again.";
}

export class Viewer {
  constructor(section, images) {
    this.section = section;
    this.images = images;
    this.q = (name) => section.querySelector(`[data-viewer="${name}"]`);
    this.stage = this.q("stage");
    this.canvas = this.q("canvas");
    this.status = this.q("status");
    this.message = this.q("message");
    this.channelList = new ChannelList(this.q("channels"), this.q("channel-row"), {
      onChange: () => this.channelsChanged(),
      limit: MAX_CHANNELS,
      announce: (text) => this.say(text),
    });
    this.dataset = null;
    this.series = null;
    this.channels = [];
    this.plane = { z: 0, t: 0 };
    this.viewState = null;
    this.layer = null;
    this.generation = 0;
    this.deck = new Deck({
      canvas: this.canvas,
      width: "100%",
      height: "100%",
      views: [
        new OrthographicView({
          id: "image",
          controller: { keyboard: false, inertia: false, scrollZoom: { speed: 0.02, smooth: false } },
        }),
      ],
      viewState: { target: [0, 0, 0], zoom: 0 },
      layers: [],
      onViewStateChange: ({ viewState }) => {
        this.setViewState(viewState, { quiet: true });
        return this.viewState;
      },
      onAfterRender: () => this.afterRender(),
      onError: (error) => this.fail(error),
      getCursor: ({ isDragging }) => (isDragging ? "grabbing" : "grab"),
    });
    this.wire();
    // Other scripts of the page (the review page's "Request a change about this image") read
    // what is shown and take a screenshot through this handle.
    section.apertureViewer = this;
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => this.keepInBounds()).observe(this.stage);
    }
  }

  wire() {
    const on = (name, event, handler) => this.q(name)?.addEventListener(event, handler);
    on("image", "change", (e) => this.openImage(Number(e.target.value)));
    on("series", "change", (e) => this.openSeries(Number(e.target.value)));
    on("z", "input", (e) => this.setPlane({ z: Number(e.target.value) - 1 }));
    on("t", "input", (e) => this.setPlane({ t: Number(e.target.value) - 1 }));
    on("zoom-in", "click", () => this.zoomBy(1));
    on("zoom-out", "click", () => this.zoomBy(-1));
    on("fit", "click", () => this.fit({ announce: true }));
    this.stage.addEventListener("keydown", (e) => this.onKey(e));
  }

  // --- Loading -------------------------------------------------------------------------------

  async openImage(index) {
    const generation = ++this.generation;
    const image = this.images[index];
    this.imageIndex = index;
    this.setBusy(`Opening ${image.name}…`);
    this.stage.setAttribute("aria-label", `Image viewer: ${image.name}`);
    try {
      const url = new URL(image.url, document.baseURI).href;
      const dataset = await openDataset(url);
      if (generation !== this.generation) return;
      this.dataset = dataset;
      const picker = this.q("series");
      picker.replaceChildren(
        ...dataset.series.map((s, i) => new Option(`Series ${i + 1}`, String(i))),
      );
      this.q("series-field").hidden = dataset.series.length < 2;
      await this.openSeries(0, generation);
    } catch (error) {
      if (generation === this.generation) this.fail(error);
    }
  }

  async openSeries(index, generation = ++this.generation) {
    this.setBusy(`Opening series ${index + 1}…`);
    try {
      const [series, omeXml] = await Promise.all([
        openSeries(this.dataset, index),
        readOmeXml(this.dataset),
      ]);
      if (omeXml?.images?.[index]?.hasPixelSize === false) {
        // The NGFF axes name a unit, but the original metadata had no pixel size: the scale
        // is a placeholder (1 per pixel), so no scale bar is drawn from it.
        series.physical = {};
      }
      const plane = defaultPlane(series);
      const channels = await channelDefaults(series, plane, omeXml);
      if (generation !== this.generation) return;
      this.series = series;
      this.plane = plane;
      this.channels = channels;
      this.nameSeriesOption(series, omeXml);
      this.setupSliders();
      this.channelList.render(channels, series);
      this.message.hidden = true;
      this.fit({ announce: false });
      this.render();
      this.announceView();
    } catch (error) {
      if (generation === this.generation) this.fail(error);
    }
  }

  nameSeriesOption(series, omeXml) {
    const option = this.q("series").options[series.index];
    const name = series.name || omeXml?.images?.[series.index]?.name || "";
    if (option) {
      option.textContent = `Series ${series.index + 1}${name ? `: ${name}` : ""} (${series.sizes.x} × ${series.sizes.y})`;
      option.selected = true;
    }
  }

  setupSliders() {
    for (const axis of ["z", "t"]) {
      const count = this.series.sizes[axis];
      const slider = this.q(axis);
      slider.min = "1";
      slider.max = String(count);
      slider.value = String(this.plane[axis] + 1);
      this.q(`${axis}-field`).hidden = count < 2;
      this.updateSliderText(axis);
    }
  }

  updateSliderText(axis) {
    const text = `${this.plane[axis] + 1} of ${this.series.sizes[axis]}`;
    this.q(axis).setAttribute("aria-valuetext", text);
    this.q(`${axis}-value`).textContent = text;
  }

  // --- Drawing -------------------------------------------------------------------------------

  render() {
    if (!this.series) return;
    const shown = this.channels.filter((c) => c.visible);
    this.layer = shown.length
      ? new MultiscaleImageLayer({
          id: `image-${this.generation}-${this.series.index}`,
          loader: this.series.pyramid,
          selections: shown.map((c) => selectionFor(this.series, { ...this.plane, c: c.index })),
          colors: shown.map((c) => c.color),
          contrastLimits: shown.map((c) => c.limits),
          channelsVisible: shown.map(() => true),
          // Reading the whole lowest level is only sensible when there is a real pyramid.
          excludeBackground: !this.series.lowestIsSmall,
          onTileError: (error) => this.fail(error),
          pickable: false,
        })
      : null;
    this.section.dataset.state = "loading";
    this.stage.setAttribute("aria-busy", "true");
    this.deck.setProps({ layers: this.layer ? [this.layer] : [] });
    this.q("empty").hidden = shown.length > 0;
  }

  afterRender() {
    if (!this.series || this.section.dataset.state === "error") return;
    const loaded = this.layer ? this.layer.isLoaded : true;
    const state = loaded ? "ready" : "loading";
    if (this.section.dataset.state !== state) {
      this.section.dataset.state = state;
      this.stage.setAttribute("aria-busy", String(!loaded));
      this.q("loading").hidden = loaded;
    }
  }

  setBusy(text) {
    this.section.dataset.state = "loading";
    this.stage.setAttribute("aria-busy", "true");
    this.q("loading").hidden = false;
    this.status.textContent = text;
  }

  fail(error) {
    console.error(error);
    this.section.dataset.state = "error";
    this.stage.setAttribute("aria-busy", "false");
    this.q("loading").hidden = true;
    this.message.textContent = describeError(error);
    this.message.hidden = false;
  }

  // --- View: pan and zoom --------------------------------------------------------------------

  fitZoom() {
    const { clientWidth: w, clientHeight: h } = this.stage;
    const { x, y } = this.series.sizes;
    return Math.log2(Math.min(w / x, h / y));
  }

  fit({ announce }) {
    if (!this.series) return;
    const { x, y } = this.series.sizes;
    this.setViewState({ target: [x / 2, y / 2, 0], zoom: this.fitZoom() }, { quiet: !announce });
  }

  setViewState(next, { quiet }) {
    if (!this.series) return;
    const fit = this.fitZoom();
    const zoom = Math.min(Math.max(next.zoom, fit - ZOOM_OUT_BELOW_FIT), Math.max(MAX_ZOOM, fit));
    const { x, y } = this.series.sizes;
    // The centre stays over the image, so it can never be lost off screen.
    const target = [
      Math.min(Math.max(next.target[0], 0), x),
      Math.min(Math.max(next.target[1], 0), y),
      0,
    ];
    this.viewState = {
      ...next,
      target,
      zoom,
      minZoom: fit - ZOOM_OUT_BELOW_FIT,
      maxZoom: Math.max(MAX_ZOOM, fit),
    };
    this.deck.setProps({ viewState: this.viewState });
    this.updateScaleBar();
    this.q("zoom-value").textContent = `${Math.round(2 ** zoom * 100)}%`;
    if (!quiet) this.announceView();
  }

  keepInBounds() {
    if (this.viewState) this.setViewState(this.viewState, { quiet: true });
  }

  zoomBy(steps) {
    if (!this.viewState) return;
    this.setViewState({ ...this.viewState, zoom: this.viewState.zoom + steps }, { quiet: false });
  }

  panBy(dx, dy) {
    if (!this.viewState) return;
    const scale = 2 ** this.viewState.zoom; // screen pixels per image pixel
    const [x, y] = this.viewState.target;
    const step = (this.stage.clientWidth * PAN_FRACTION) / scale;
    this.setViewState({ ...this.viewState, target: [x + dx * step, y + dy * step, 0] }, { quiet: true });
  }

  updateScaleBar() {
    const bar = this.q("scalebar");
    const pixel = this.series?.physical?.x;
    const shown = pixel && this.viewState ? scaleBar(pixel, 2 ** this.viewState.zoom) : null;
    bar.hidden = !shown;
    if (shown) {
      this.q("scalebar-line").style.width = `${shown.px.toFixed(1)}px`;
      this.q("scalebar-label").textContent = shown.label;
      bar.setAttribute("aria-label", `Scale bar: ${shown.spoken}`);
    }
  }

  // --- Plane and channels --------------------------------------------------------------------

  setPlane(change) {
    if (!this.series) return;
    for (const [axis, value] of Object.entries(change)) {
      const count = this.series.sizes[axis];
      const clamped = Math.min(Math.max(0, value), count - 1);
      this.plane[axis] = clamped;
      this.q(axis).value = String(clamped + 1);
      this.updateSliderText(axis);
    }
    this.render();
    this.announceView();
  }

  channelsChanged() {
    this.render();
    this.announceView();
  }

  // --- Keyboard ------------------------------------------------------------------------------

  onKey(event) {
    if (!this.series || event.altKey || event.ctrlKey || event.metaKey) return;
    const big = event.shiftKey ? 4 : 1;
    const actions = {
      ArrowLeft: () => this.panBy(-big, 0),
      ArrowRight: () => this.panBy(big, 0),
      ArrowUp: () => this.panBy(0, -big),
      ArrowDown: () => this.panBy(0, big),
      "+": () => this.zoomBy(1),
      "=": () => this.zoomBy(1),
      "-": () => this.zoomBy(-1),
      _: () => this.zoomBy(-1),
      0: () => this.fit({ announce: true }),
      Home: () => this.fit({ announce: true }),
      PageUp: () => this.setPlane({ z: this.plane.z + 1 }),
      PageDown: () => this.setPlane({ z: this.plane.z - 1 }),
      ".": () => this.setPlane({ t: this.plane.t + 1 }),
      ",": () => this.setPlane({ t: this.plane.t - 1 }),
    };
    let action = actions[event.key];
    if (!action && /^[1-9]$/.test(event.key)) {
      action = () => this.channelList.toggle(Number(event.key) - 1);
    }
    if (action) {
      event.preventDefault();
      action();
    }
  }

  // --- What is shown, for other scripts of the page ------------------------------------------

  /** The image, series, plane and visible channels on screen (0-based), or null. */
  currentView() {
    if (!this.series) return null;
    const index = this.imageIndex || 0;
    return {
      fileId: this.images[index]?.fileId || "",
      image: this.images[index]?.name || "",
      series: this.series.index,
      z: this.plane.z,
      t: this.plane.t,
      channels: this.channels.filter((c) => c.visible).map((c) => ({ index: c.index, name: c.name })),
    };
  }

  /** A PNG data URL of the canvas as it is now (deck.gl keeps the drawing buffer). */
  screenshot() {
    this.deck.redraw("screenshot");
    return this.canvas.toDataURL("image/png");
  }

  // --- What a screen reader hears ------------------------------------------------------------

  say(text) {
    this.status.textContent = text;
  }

  announceView() {
    if (!this.series) return;
    const { sizes } = this.series;
    const parts = [];
    if (this.dataset.series.length > 1) parts.push(`series ${this.series.index + 1} of ${this.dataset.series.length}`);
    if (sizes.z > 1) parts.push(`z-plane ${this.plane.z + 1} of ${sizes.z}`);
    if (sizes.t > 1) parts.push(`time point ${this.plane.t + 1} of ${sizes.t}`);
    const shown = this.channels.filter((c) => c.visible).map((c) => c.name);
    parts.push(shown.length ? `channels shown: ${shown.join(", ")}` : "no channel shown");
    if (this.viewState) parts.push(`zoom ${Math.round(2 ** this.viewState.zoom * 100)}%`);
    const text = parts.join("; ");
    this.say(text.charAt(0).toUpperCase() + text.slice(1) + ".");
  }
}
