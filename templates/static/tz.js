// One time zone per person: tell the server the browser's zone (an IANA name such as
// "Europe/Berlin"), which it checks and uses when the user has not chosen one in Settings.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    var current = (document.cookie.match(/(?:^|; )tz=([^;]*)/) || [])[1];
    if (current && decodeURIComponent(current) === zone) return;
    document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
  } catch (e) { /* an old browser: the site's zone, else UTC */ }
})();
