// Opening an OME-Zarr over HTTP with zarrita: the series of a bioformats2raw layout, and for
// one series its pyramid (as Viv pixel sources), axes, physical sizes and "omero" metadata.
//
// Specification: https://ngff.openmicroscopy.org/0.5/ (0.4 is read too). NGFF 0.5 is Zarr v3
// with the metadata under attributes.ome; 0.4 is Zarr v2 with it at the top of .zattrs.
import * as zarr from "zarrita";
import { ZarrPixelSource } from "@hms-dbmi/viv";

// Largest lowest-resolution plane read whole (for the background layer and for contrast
// statistics). Without a pyramid the only level can be huge: then tiles only, stats from one.
export const MAX_RASTER_PIXELS = 2048 * 2048;
const MAX_PROBED_SERIES = 10000;
const NGFF_DEFAULT_AXES = ["t", "c", "z", "y", "x"];

export class SourceError extends Error {
  name = "SourceError";
}

function omeAttributes(attrs) {
  return attrs && typeof attrs.ome === "object" && attrs.ome !== null ? attrs.ome : attrs || {};
}

function isNotFound(error) {
  return error instanceof zarr.NodeNotFoundError || error?.name === "NodeNotFoundError";
}

// Opens the zarr root at `url`, once per dataset; every later open uses the version found here,
// so a v3 store is never asked for v2 keys (and the reverse).
export async function openDataset(url) {
  // Suffix requests ("Range: bytes=-N") read a shard's index in one request: without them
  // zarrita asks HEAD first, which a presigned GET URL does not allow.
  const store = new zarr.FetchStore(url, { useSuffixRequest: true });
  const root = zarr.root(store);
  let open = zarr.open.v3;
  let group;
  try {
    group = await open(root, { kind: "group" });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    open = zarr.open.v2;
    try {
      group = await open(root, { kind: "group" });
    } catch (inner) {
      if (isNotFound(inner)) throw new SourceError("No OME-Zarr was found at this address.");
      throw inner;
    }
  }
  const attrs = omeAttributes(group.attrs);
  const dataset = { url, store, root, open, ome: null, series: [] };
  if (Array.isArray(attrs.multiscales)) {
    dataset.series = [{ path: "", index: 0 }];
  } else if (attrs["bioformats2raw.layout"] !== undefined) {
    dataset.series = await listSeries(dataset);
  }
  if (dataset.series.length === 0) {
    throw new SourceError("This OME-Zarr holds no multiscale image.");
  }
  return dataset;
}

// bioformats2raw layout: the OME group's "series" attribute lists the image groups; without
// it, the images are the groups 0, 1, 2, … up to the first that is missing.
async function listSeries(dataset) {
  let paths = null;
  try {
    const ome = await dataset.open(dataset.root.resolve("OME"), { kind: "group" });
    const listed = omeAttributes(ome.attrs).series;
    if (Array.isArray(listed)) paths = listed.map(String);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (paths === null) {
    paths = [];
    for (let i = 0; i < MAX_PROBED_SERIES; i += 1) {
      try {
        await dataset.open(dataset.root.resolve(String(i)), { kind: "group" });
      } catch (error) {
        if (isNotFound(error)) break;
        throw error;
      }
      paths.push(String(i));
    }
  }
  return paths.map((path, index) => ({ path, index }));
}

// The original OME-XML (OME/METADATA.ome.xml), for image and channel names when the NGFF
// metadata has none. Optional: a missing or unreadable file gives null.
export async function readOmeXml(dataset) {
  if (dataset.ome !== null) return dataset.ome;
  dataset.ome = { images: [] };
  try {
    const bytes = await dataset.store.get("/OME/METADATA.ome.xml");
    if (!bytes) return dataset.ome;
    const doc = new DOMParser().parseFromString(new TextDecoder().decode(bytes), "application/xml");
    for (const image of doc.getElementsByTagNameNS("*", "Image")) {
      const channels = [...image.getElementsByTagNameNS("*", "Channel")].map(
        (channel) => channel.getAttribute("Name") || "",
      );
      const pixels = image.getElementsByTagNameNS("*", "Pixels")[0];
      dataset.ome.images.push({
        name: image.getAttribute("Name") || "",
        channels,
        // Whether the file gave a pixel size at all: converters may still write a unit.
        hasPixelSize: Boolean(pixels?.getAttribute("PhysicalSizeX")),
      });
    }
  } catch (error) {
    console.warn("OME-XML unreadable", error);
  }
  return dataset.ome;
}

function axisNames(axes) {
  if (!Array.isArray(axes) || axes.length === 0) return NGFF_DEFAULT_AXES;
  return axes.map((axis) => String(typeof axis === "string" ? axis : axis.name).toLowerCase());
}

function scaleOf(transforms) {
  const scale = (transforms || []).find((t) => t && t.type === "scale");
  return Array.isArray(scale?.scale) ? scale.scale.map(Number) : null;
}

// Physical size of one level-0 pixel along x and y, with its unit, when the metadata says.
function physicalSizes(multiscale, labels) {
  const level = scaleOf(multiscale.datasets[0]?.coordinateTransformations);
  const global = scaleOf(multiscale.coordinateTransformations);
  const axes = Array.isArray(multiscale.axes) ? multiscale.axes : [];
  const sizes = {};
  for (const name of ["x", "y", "z"]) {
    const i = labels.indexOf(name);
    const axis = axes[i];
    const unit = axis && typeof axis === "object" ? axis.unit : undefined;
    if (i < 0 || !level || !unit) continue;
    const size = level[i] * (global ? global[i] : 1);
    if (Number.isFinite(size) && size > 0) sizes[name] = { size, unit: String(unit) };
  }
  return sizes;
}

function previousPowerOfTwo(n) {
  return 2 ** Math.floor(Math.log2(n));
}

// One image of the dataset: its pyramid as Viv pixel sources (largest first) and what the
// controls need to know about it.
export async function openSeries(dataset, seriesIndex) {
  const { path } = dataset.series[seriesIndex];
  const location = path ? dataset.root.resolve(path) : dataset.root;
  const group = await dataset.open(location, { kind: "group" });
  const attrs = omeAttributes(group.attrs);
  const multiscale = Array.isArray(attrs.multiscales) ? attrs.multiscales[0] : null;
  if (!multiscale || !Array.isArray(multiscale.datasets) || multiscale.datasets.length === 0) {
    throw new SourceError(`Series ${seriesIndex + 1} has no multiscale image.`);
  }
  const labels = axisNames(multiscale.axes);
  if (!labels.includes("x") || !labels.includes("y")) {
    throw new SourceError(`Series ${seriesIndex + 1} has no x and y axes.`);
  }
  const arrays = await Promise.all(
    multiscale.datasets.map((level) =>
      dataset.open(location.resolve(String(level.path)), { kind: "array" }),
    ),
  );
  for (const array of arrays) {
    if (array.shape.length !== labels.length) {
      throw new SourceError(`Series ${seriesIndex + 1}: arrays and axes disagree.`);
    }
  }
  const yi = labels.indexOf("y");
  const xi = labels.indexOf("x");
  const tileSize = previousPowerOfTwo(Math.min(arrays[0].chunks[yi], arrays[0].chunks[xi]));
  const pyramid = arrays.map((array) => new ZarrPixelSource(array, labels, tileSize));
  const shape = arrays[0].shape;
  const size = (name) => (labels.includes(name) ? shape[labels.indexOf(name)] : 1);
  const lowest = arrays[arrays.length - 1].shape;
  return {
    index: seriesIndex,
    name: typeof multiscale.name === "string" ? multiscale.name : "",
    labels,
    pyramid,
    dtype: pyramid[0].dtype,
    sizes: { t: size("t"), c: size("c"), z: size("z"), y: shape[yi], x: shape[xi] },
    levels: arrays.length,
    lowestIsSmall: lowest[yi] * lowest[xi] <= MAX_RASTER_PIXELS,
    physical: physicalSizes(multiscale, labels),
    omero: attrs.omero && typeof attrs.omero === "object" ? attrs.omero : null,
  };
}

// A selection for Viv: only the non-spatial axes this image has.
export function selectionFor(series, { t, c, z }) {
  const selection = {};
  if (series.labels.includes("t")) selection.t = t;
  if (series.labels.includes("c")) selection.c = c;
  if (series.labels.includes("z")) selection.z = z;
  return selection;
}
