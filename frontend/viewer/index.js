// Entry of the OME-Zarr viewer bundle (build/vendor/viewer/viewer.js, made by
// frontend/build.mjs). Every element marked data-ome-zarr-viewer on the page becomes a viewer;
// the images it shows are in the JSON script named by its data-images attribute:
// [{"name": "...", "url": "<OME-Zarr root, absolute or relative to the page>"}, ...].
// Without JavaScript or WebGL 2 the element keeps its text description.
import { registerCodecs } from "./codecs.js";
import { Viewer } from "./viewer.js";

registerCodecs();

function webgl2() {
  try {
    return Boolean(document.createElement("canvas").getContext("webgl2"));
  } catch {
    return false;
  }
}

export function mount(section) {
  if (section.dataset.mounted) return null;
  section.dataset.mounted = "true";
  const source = document.getElementById(section.dataset.images || "");
  const images = source ? JSON.parse(source.textContent || "[]") : [];
  const fallback = section.querySelector('[data-viewer="fallback"]');
  if (!images.length) return null;
  if (!webgl2()) {
    fallback.textContent =
      "This browser cannot show the interactive viewer: WebGL 2 is off or unavailable. " +
      "The description above still holds, and the data can be opened as shown below.";
    section.dataset.state = "unsupported";
    return null;
  }
  fallback.hidden = true;
  section.querySelector('[data-viewer="app"]').hidden = false;
  const viewer = new Viewer(section, images);
  viewer.openImage(0);
  return viewer;
}

for (const section of document.querySelectorAll("[data-ome-zarr-viewer]")) {
  mount(section);
}
