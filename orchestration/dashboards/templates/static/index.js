// The index's search, type filter and sortable columns over the rows embedded as JSON in
// the element #records-data. Inlined into index.html when it is rendered.
(function () {
  "use strict";
  var rows = JSON.parse(document.getElementById("records-data").textContent);
  var table = document.getElementById("records");
  var body = table.querySelector("tbody");
  var search = document.getElementById("search");
  var typeFilter = document.getElementById("type-filter");
  var shown = document.getElementById("shown-count");
  var headers = Array.prototype.slice.call(table.querySelectorAll("th[data-key]"));
  var sortKey = "order";
  var direction = 1;

  function compare(a, b) {
    var x = a[sortKey], y = b[sortKey];
    if (x === y) { return a.order - b.order; }
    if (x === null || x === undefined || x === "") { return 1; }
    if (y === null || y === undefined || y === "") { return -1; }
    if (typeof x === "string") { x = x.toLowerCase(); y = String(y).toLowerCase(); }
    return (x < y ? -1 : x > y ? 1 : a.order - b.order) * direction;
  }

  function cell(row, column) {
    var td = document.createElement("td");
    var value = row[column.key];
    if (column.numeric) { td.className = "num"; }
    if (column.key === "record_name") {
      var link = document.createElement("a");
      link.href = row.href;
      link.textContent = value === null ? row.record_id : value;
      td.appendChild(link);
    } else if (column.key === "health_state" && value) {
      var badge = document.createElement("span");
      badge.className = "badge " + value;
      badge.textContent = value.replace(/_/g, " ");
      td.appendChild(badge);
    } else {
      var text = row[column.key + "_text"];
      td.textContent = text !== undefined ? text : (value === null ? "\u2014" : value);
    }
    return td;
  }

  var columns = headers.map(function (th) {
    return { key: th.getAttribute("data-key"), numeric: th.classList.contains("num") };
  });

  function render() {
    var query = search.value.trim().toLowerCase();
    var type = typeFilter.value;
    var visible = rows.filter(function (row) {
      return (!type || row.record_type === type) &&
        (!query || row.search.indexOf(query) !== -1);
    });
    visible.sort(compare);
    var fragment = document.createDocumentFragment();
    visible.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-record", row.record_type + "/" + row.record_id);
      columns.forEach(function (column) { tr.appendChild(cell(row, column)); });
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    shown.textContent = visible.length + " of " + rows.length + " records";
    headers.forEach(function (th) {
      var key = th.getAttribute("data-key");
      th.setAttribute("aria-sort", key === sortKey ?
        (direction === 1 ? "ascending" : "descending") : "none");
    });
  }

  headers.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      direction = key === sortKey ? -direction : 1;
      sortKey = key;
      render();
    });
  });
  search.addEventListener("input", render);
  typeFilter.addEventListener("change", render);
  render();
})();
