// What every page's script shares: building elements, the class of a signed number, and
// signing in from a slip.
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

// A slip's QR code opens /team#token=…: the fragment never reaches a server or its logs.
// The token leaves the address bar at once (not kept in the history, not read over a
// shoulder), then goes to the sign-in route as a typed one does. True when it signs in.
function signInFromFragment() {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match) return false;
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  const form = el("form");
  form.method = "post";
  form.action = "/team/signin";
  form.hidden = true;
  const token = el("input");
  token.type = "hidden";
  token.name = "token";
  token.value = decodeURIComponent(match[1]);
  form.append(token);
  document.body.append(form);
  form.submit();
  return true;
}
