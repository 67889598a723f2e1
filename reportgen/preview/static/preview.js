// The preview page: shows the pages of the newest good build, pushed by the server as
// server-sent events, and keeps the reader's place (page and offset) across builds and zooms.
"use strict";

const PX_PER_PT = 96 / 72;
const ZOOMS = [0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3];
const pages = document.getElementById("pages");
const statusLine = document.getElementById("status");
const problems = document.getElementById("problems");
const problemLines = document.getElementById("problem-lines");
const warnings = document.getElementById("warnings");
const warningLines = document.getElementById("warning-lines");
let zoom = Number(sessionStorage.getItem("reportgen.zoom")) || 1;
let shown = { build: 0, texts: [], variant: "", session: "" };
let latest = null; // the newest state heard
let showing = Promise.resolve();

// Where the reader is: the page at the top of the view, and how far down it (0..1).
function place() {
  const all = pages.querySelectorAll(".page");
  for (let i = 0; i < all.length; i++) {
    const page = all[i];
    if (page.offsetTop + page.offsetHeight > window.scrollY) {
      return { index: i, offset: (window.scrollY - page.offsetTop) / page.offsetHeight, x: window.scrollX };
    }
  }
  return { index: 0, offset: 0, x: window.scrollX };
}

function restore(at) {
  const all = pages.querySelectorAll(".page");
  if (!all.length) return;
  const page = all[Math.min(at.index, all.length - 1)];
  window.scrollTo(at.x, page.offsetTop + at.offset * page.offsetHeight);
}

function pixelScale() {
  // Drawn as sharp as the screen shows it, in steps so a small zoom change reuses images.
  const wanted = zoom * PX_PER_PT * (window.devicePixelRatio || 1);
  return Math.min(4, Math.max(1, Math.ceil(wanted * 2) / 2));
}

function makePage(build, index, text) {
  const page = document.createElement("div");
  page.className = "page";
  page.dataset.index = String(index);
  page.setAttribute("role", "group");
  page.setAttribute("aria-label", `Page ${index + 1}`);
  page.style.width = `${text.width * PX_PER_PT * zoom}px`;
  page.style.height = `${text.height * PX_PER_PT * zoom}px`;
  const image = document.createElement("img");
  image.alt = "";
  image.decoding = "async";
  image.src = `/build/${build}/page/${index}.png?scale=${pixelScale()}`;
  page.append(image);
  const layer = document.createElement("div");
  layer.className = "text";
  for (const run of text.runs) {
    const span = document.createElement("span");
    span.textContent = run.text;
    span.dataset.width = String(run.width);
    span.style.left = `${run.left * PX_PER_PT * zoom}px`;
    span.style.top = `${run.top * PX_PER_PT * zoom}px`;
    span.style.fontSize = `${run.height * PX_PER_PT * zoom}px`;
    // A line break after each run, so the page's text reads (and copies) as lines, and a
    // search finds words either side of a run's end.
    layer.append(span, document.createTextNode("\n"));
  }
  page.append(layer);
  return { page, image };
}

// Stretch each run to the width it has on the page, so selection matches what is drawn.
function fitText() {
  for (const span of pages.querySelectorAll(".text span")) {
    span.style.transform = "";
    const natural = span.getBoundingClientRect().width;
    const wanted = Number(span.dataset.width) * PX_PER_PT * zoom;
    if (natural > 0) span.style.transform = `scaleX(${wanted / natural})`;
  }
}

async function draw(build, texts, keepPlace) {
  const made = texts.map((text, index) => makePage(build, index, text));
  // Swapped in only once every image is ready: no blank pages, no jump.
  await Promise.all(made.map(({ image }) => image.decode().catch(() => undefined)));
  // A newer build came meanwhile: that one is drawn instead.
  if (latest && latest.session === shown.session && latest.build > build) return false;
  // Where the reader is now, not when the build came: they may have scrolled meanwhile.
  const at = keepPlace ? place() : { index: 0, offset: 0, x: 0 };
  pages.replaceChildren(...made.map(({ page }) => page));
  fitText();
  restore(at);
  document.body.dataset.build = String(build);
  return true;
}

async function show(state) {
  // A preview started again (same address, the tab left open) numbers its builds afresh.
  if (state.session !== shown.session) shown = { ...shown, build: 0, session: state.session };
  if (state.build <= shown.build) return; // never an older build after a newer one
  const response = await fetch(`/build/${state.build}/text.json`);
  if (!response.ok) return; // superseded already; the newer state follows
  const texts = await response.json();
  const samePlace = state.variant === shown.variant || !shown.variant;
  if (await draw(state.build, texts, samePlace)) {
    shown = { build: state.build, texts, variant: state.variant, session: state.session };
  }
}

function setChoices(select, values, chosen) {
  const current = [...select.options].map((option) => option.value).join("\n");
  if (current !== values.join("\n")) {
    select.replaceChildren(...values.map((value) => new Option(value, value)));
  }
  select.value = chosen;
}

function render(state) {
  latest = state;
  document.getElementById("variant").textContent = state.variant || state.data || "reportgen preview";
  document.title = `${state.variant || "reportgen"} - preview`;
  setChoices(document.getElementById("data"), state.data_files, state.data);
  setChoices(document.getElementById("audience"), state.audiences, state.audience);
  setChoices(document.getElementById("language"), state.languages, state.language);
  const built = state.built_at
    ? `last good build ${new Date(state.built_at).toLocaleTimeString()}, ${state.pages} ${state.pages === 1 ? "page" : "pages"}, ${state.seconds.toFixed(1)} s`
    : "no good build yet";
  statusLine.className = state.status;
  statusLine.textContent = {
    starting: "starting…",
    building: `rebuilding… · ${built}`,
    ready: state.warnings.length ? `${built} · ${state.warnings.length} ${state.warnings.length === 1 ? "warning" : "warnings"}` : built,
    failed: `failed · ${built}`,
  }[state.status];
  const failing = state.problems.length > 0 && state.status !== "building";
  if (state.status !== "building") {
    problems.hidden = !failing;
    problemLines.textContent = state.problems.join("\n");
    // A draft's untranslated strings: said while there are pages to read, never over an error.
    warnings.hidden = failing || state.warnings.length === 0;
    warningLines.textContent = state.warnings.join("\n");
  }
  document.getElementById("empty").hidden = state.build > 0 || state.status === "starting";
  showing = showing.then(() => show(state)).catch((error) => console.error(error));
}

function setZoom(value) {
  zoom = Math.min(ZOOMS[ZOOMS.length - 1], Math.max(ZOOMS[0], value));
  sessionStorage.setItem("reportgen.zoom", String(zoom));
  document.getElementById("zoom-level").textContent = `${Math.round(zoom * 100)}%`;
  if (shown.build) {
    showing = showing.then(() => draw(shown.build, shown.texts, true));
  }
}

function step(direction) {
  const next = direction > 0 ? ZOOMS.find((z) => z > zoom + 1e-6) : [...ZOOMS].reverse().find((z) => z < zoom - 1e-6);
  setZoom(next ?? zoom);
}

function select() {
  fetch("/select", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      data: document.getElementById("data").value,
      audience: document.getElementById("audience").value,
      language: document.getElementById("language").value,
    }),
  });
}

document.getElementById("zoom-in").addEventListener("click", () => step(1));
document.getElementById("zoom-out").addEventListener("click", () => step(-1));
document.getElementById("zoom-fit").addEventListener("click", () => {
  const widest = Math.max(...shown.texts.map((text) => text.width), 1);
  setZoom((pages.clientWidth - 32) / (widest * PX_PER_PT));
});
document.getElementById("data").addEventListener("change", select);
document.getElementById("audience").addEventListener("change", select);
document.getElementById("language").addEventListener("change", select);
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey)) return;
  if (event.key === "+" || event.key === "=") { event.preventDefault(); step(1); }
  if (event.key === "-") { event.preventDefault(); step(-1); }
});
setZoom(zoom);

const events = new EventSource("/events");
events.addEventListener("state", (event) => render(JSON.parse(event.data)));
events.addEventListener("error", () => {
  statusLine.className = "failed";
  statusLine.textContent = "the preview server is not answering (stopped?); retrying…";
});
