// Building DOM nodes without innerHTML, so text from people and banks is never parsed as HTML.

/** h("button", {class: "x", onclick: fn}, "text", child) -> element. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "style" && typeof value === "object") {
      for (const [property, styleValue] of Object.entries(value)) {
        element.style.setProperty(property, styleValue);
      }
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

/** A small inline icon drawn from path data; decorative, hidden from screen readers. */
export function icon(pathData, size = 20) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of [pathData].flat()) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

export const ICONS = {
  send: "M3 20.5 21 12 3 3.5l2.2 7.1L14 12l-8.8 1.4z",
  back: "M15.5 4.5 8 12l7.5 7.5-1.6 1.5L5 12l8.9-9z",
  plus: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
  chat: "M4 4h16a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H9l-5 4v-4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z",
  bank: "M12 2 2 7v2h20V7zM4 11v7h3v-7zm6.5 0v7h3v-7zM17 11v7h3v-7zM2 20v2h20v-2z",
  shield: "M12 2 4 5v6c0 5 3.4 9.5 8 11 4.6-1.5 8-6 8-11V5zm-1.2 14.2-3.5-3.5 1.4-1.4 2.1 2.1 4.9-4.9 1.4 1.4z",
  wallet: "M3 6a2 2 0 0 1 2-2h13v3H5v10h15v-3h-5a2 2 0 0 1 0-4h6v9a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z",
  logout: "M10 4H5v16h5v2H3V2h7zm6.6 3.4L21.2 12l-4.6 4.6-1.4-1.4 2.2-2.2H9v-2h8.4l-2.2-2.2z",
};

/** Initials of a name for an avatar: "Anna Berg" -> "AB". */
export function initials(name) {
  const parts = (name || "?").trim().split(/\s+/).filter(Boolean);
  return parts
    .slice(0, 2)
    .map((part) => part[0].toUpperCase())
    .join("");
}

/** A stable hue per id, so each person keeps their avatar colour. */
export function hue(id) {
  let hash = 0;
  for (const char of id || "") hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}
