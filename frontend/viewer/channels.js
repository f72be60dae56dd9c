// Channel settings: names, colours, on/off and contrast limits, from the NGFF "omero"
// metadata when present (https://ngff.openmicroscopy.org/0.5/#omero-md), else computed.
import { getChannelStats, MAX_CHANNELS } from "@hms-dbmi/viv";
import { MAX_RASTER_PIXELS, selectionFor } from "./source.js";

export { MAX_CHANNELS };

// Distinct on black when added together; one channel alone is shown in grey.
const PALETTE = ["FF0000", "00FF00", "0000FF", "FF00FF", "00FFFF", "FFFF00", "FF8000", "8000FF", "FFFFFF", "808080"];
const DTYPE_RANGES = {
  Uint8: [0, 255],
  Uint16: [0, 65535],
  Uint32: [0, 4294967295],
  Int8: [-128, 127],
  Int16: [-32768, 32767],
  Int32: [-2147483648, 2147483647],
};

export function hexToRgb(hex) {
  const clean = String(hex || "").replace(/^#/, "");
  if (!/^[0-9a-fA-F]{6}$/.test(clean)) return null;
  return [0, 2, 4].map((i) => parseInt(clean.slice(i, i + 2), 16));
}

export function rgbToHex(rgb) {
  return `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

function finite(value) {
  return typeof value === "number" && Number.isFinite(value);
}

// Default plane: the "rdefs" of omero when given, else the middle z-plane and the first time point.
export function defaultPlane(series) {
  const rdefs = series.omero?.rdefs || {};
  const clamp = (v, n) => Math.min(Math.max(0, Math.round(v)), n - 1);
  return {
    z: finite(rdefs.defaultZ) ? clamp(rdefs.defaultZ, series.sizes.z) : Math.floor(series.sizes.z / 2),
    t: finite(rdefs.defaultT) ? clamp(rdefs.defaultT, series.sizes.t) : 0,
  };
}

// Contrast statistics of one channel from the lowest resolution of the shown plane (one tile
// of it when even that is too large to read whole).
async function statsOf(series, selection) {
  const lowest = series.pyramid[series.pyramid.length - 1];
  const raster = series.lowestIsSmall
    ? await lowest.getRaster({ selection })
    : await lowest.getTile({ x: 0, y: 0, selection });
  const stats = getChannelStats(raster.data);
  let [lo, hi] = stats.contrastLimits;
  // Viv ignores zeros and trims 0.05% at each end; a mask or a near-constant channel would
  // then get an empty range, so fall back to the channel's whole range.
  if (!(hi > lo)) [lo, hi] = stats.domain;
  return { limits: [lo, hi], domain: stats.domain };
}

function sliderRange(dtype, domain, limits) {
  const range = DTYPE_RANGES[dtype];
  if (range && range[1] <= 255) return range;
  const low = Math.min(domain[0], limits[0], 0);
  let high = Math.max(domain[1], limits[1]);
  // The lowest level is a mean of the full one, so its maximum understates the data's.
  high = Math.ceil(high * 1.25) || 1;
  if (range) high = Math.min(high, range[1]);
  return [range ? Math.max(low, range[0]) : low, high];
}

// One entry per channel: {index, name, color [r,g,b], visible, limits [lo,hi], range [min,max]}.
export async function channelDefaults(series, plane, omeXml) {
  const count = series.sizes.c;
  const omero = Array.isArray(series.omero?.channels) ? series.omero.channels : [];
  const xmlNames = omeXml?.images?.[series.index]?.channels || [];
  const channels = await Promise.all(
    Array.from({ length: count }, async (_, c) => {
      const meta = omero.length === count ? omero[c] || {} : {};
      const window = meta.window || {};
      const name = String(meta.label || xmlNames[c] || `Channel ${c + 1}`).trim();
      const fallback = count === 1 ? "FFFFFF" : PALETTE[c % PALETTE.length];
      const color = hexToRgb(meta.color) || hexToRgb(fallback);
      const given = finite(window.start) && finite(window.end) && window.end > window.start;
      const bounded = finite(window.min) && finite(window.max) && window.max > window.min;
      let limits = given ? [window.start, window.end] : null;
      let range = bounded ? [window.min, window.max] : null;
      if (!limits || !range) {
        const stats = await statsOf(series, selectionFor(series, { ...plane, c }));
        limits = limits || stats.limits;
        if (!(limits[1] > limits[0])) limits = [limits[0], limits[0] + 1];
        range = range || sliderRange(series.dtype, stats.domain, limits);
      }
      range = [Math.min(range[0], limits[0]), Math.max(range[1], limits[1])];
      const visible = typeof meta.active === "boolean" ? meta.active : true;
      return { index: c, name, color, visible, limits, range };
    }),
  );
  // Viv draws at most MAX_CHANNELS at once.
  let shown = 0;
  for (const channel of channels) {
    if (channel.visible) shown += 1;
    if (shown > MAX_CHANNELS) channel.visible = false;
  }
  return channels;
}
