// What every page's script shares: building elements, and the class of a signed number.
"use strict";

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function signClass(milli) {
  return milli > 0 ? "pos" : milli < 0 ? "neg" : "zero";
}
