// The till: a USB barcode scanner types like a keyboard and ends with Enter. Keystrokes typed
// outside any field go to the scan box, so scanning works wherever the focus is.
(function () {
  "use strict";
  var scan = document.getElementById("scan");
  if (!scan) return;
  var buffer = "";
  var last = 0;
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    var now = Date.now();
    if (now - last > 100) buffer = "";
    last = now;
    if (e.key === "Enter") {
      if (buffer.length >= 3) {
        scan.value = buffer;
        buffer = "";
        e.preventDefault();
        scan.form.requestSubmit ? scan.form.requestSubmit() : scan.form.submit();
      }
      return;
    }
    if (e.key.length === 1) buffer += e.key;
  });
})();
