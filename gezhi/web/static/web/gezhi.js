/* Small behaviours shared by every page. */
(function () {
  "use strict";
  // Tree nodes: the toggle opens and closes a node. The first opening fires "tree-open" on
  // the node's list, which htmx answers by loading the children (hx-trigger="tree-open once").
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".tree-toggle");
    if (!toggle) { return; }
    var node = toggle.closest("[aria-expanded]");
    var list = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = node.getAttribute("aria-expanded") !== "true";
    node.setAttribute("aria-expanded", open ? "true" : "false");
    if (list) {
      list.hidden = !open;
      if (open) { list.dispatchEvent(new CustomEvent("tree-open")); }
    }
  });
})();
