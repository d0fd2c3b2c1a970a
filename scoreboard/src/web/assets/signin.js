// The team sign-in page: a token in the address's fragment (a slip's QR code) signs in.
"use strict";

signInFromFragment();
// Opening another slip's address on this page only changes the fragment: no new load.
window.addEventListener("hashchange", signInFromFragment);
