// The team sign-in page: a token in the address's fragment (a slip's QR code) signs in.
"use strict";

signInFromFragment();
