// The league table: sort by a column (provinces keep their commune rows), and open a
// province to its communes. The page reads fine without it.
(function () {
  var table = document.querySelector("table[data-sortable]");
  if (!table) { return; }
  function key(body, name, type) {
    var value = body.dataset[name];
    if (type === "text") { return value || ""; }
    return value === "" || value === undefined ? null : parseFloat(value);
  }
  table.querySelectorAll("th[data-key]").forEach(function (th) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th[aria-sort]").forEach(function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var bodies = Array.prototype.slice.call(table.tBodies);
      bodies.sort(function (a, b) {
        var unknown = (a.dataset.code === "") - (b.dataset.code === "");
        if (unknown) { return unknown; }
        var x = key(a, th.dataset.key, th.dataset.type), y = key(b, th.dataset.key, th.dataset.type);
        if (x === null || y === null) { return (x === null) - (y === null); }
        var order = th.dataset.type === "text" ? x.localeCompare(y, document.documentElement.lang) : x - y;
        return (ascending ? order : -order) || a.dataset.code.localeCompare(b.dataset.code);
      });
      bodies.forEach(function (body) { table.appendChild(body); });
    });
  });
  table.querySelectorAll("button.drill").forEach(function (button) {
    button.addEventListener("click", function () {
      var row = button.closest("tbody").querySelector("tr.communes");
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      row.hidden = !open;
    });
  });
})();
