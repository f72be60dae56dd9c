// A scale bar as page text (so screen readers and zoomed pages read it): a round length
// (1, 2 or 5 × 10^k) in the best SI unit, drawn about a sixth of the view wide.

// NGFF space units (UDUNITS-2 names) in metres.
const METRES = {
  angstrom: 1e-10,
  attometer: 1e-18,
  centimeter: 1e-2,
  decimeter: 1e-1,
  exameter: 1e18,
  femtometer: 1e-15,
  foot: 0.3048,
  gigameter: 1e9,
  hectometer: 1e2,
  inch: 0.0254,
  kilometer: 1e3,
  megameter: 1e6,
  meter: 1,
  micrometer: 1e-6,
  micron: 1e-6,
  mile: 1609.344,
  millimeter: 1e-3,
  nanometer: 1e-9,
  parsec: 3.0857e16,
  petameter: 1e15,
  picometer: 1e-12,
  terameter: 1e12,
  yard: 0.9144,
  yoctometer: 1e-24,
  yottameter: 1e24,
  zeptometer: 1e-21,
  zettameter: 1e21,
};
const SHOWN = [
  [1e3, "km", "kilometres"],
  [1, "m", "metres"],
  [1e-3, "mm", "millimetres"],
  [1e-6, "µm", "micrometres"],
  [1e-9, "nm", "nanometres"],
  [1e-12, "pm", "picometres"],
];

function roundDown(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [5, 2, 1].find((m) => m * power <= value) || 1;
  return step * power;
}

// `pixelSize` is the physical size of one level-0 pixel ({size, unit}); `screenPerPixel` how
// many screen pixels one level-0 pixel covers now. Returns {px, label, spoken} or null.
export function scaleBar(pixelSize, screenPerPixel, targetPx = 120) {
  const perUnit = METRES[pixelSize?.unit];
  if (!perUnit || !(screenPerPixel > 0)) return null;
  const metresPerScreenPx = (pixelSize.size * perUnit) / screenPerPixel;
  const metres = roundDown(targetPx * metresPerScreenPx);
  const [factor, symbol, word] = SHOWN.find(([f]) => metres >= f * 0.999) || SHOWN[SHOWN.length - 1];
  const amount = Number((metres / factor).toPrecision(3));
  return { px: metres / metresPerScreenPx, label: `${amount} ${symbol}`, spoken: `${amount} ${word}` };
}
