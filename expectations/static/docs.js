/* popdq: a small local stand-in for the scripts Great Expectations' Data Docs load from CDNs
   (jQuery, Popper, Bootstrap, bootstrap-table and its filter-control extension, the
   bootstrap-datepicker, Vega): none of them ships with the great_expectations package, and
   Data Docs must work offline (and must not call out). It covers only what the generated
   pages call: `$(…)` with ready/each/parent/on/data/addClass/removeClass/fadeIn/fadeOut/modal,
   `.bootstrapTable(options)` rendering the index's tables from their data (sorted, rows
   clickable), and Bootstrap's tabs, collapses, toggle buttons and dismissible alerts.
   No search, filter or paging: the index lists a few suites and validations. */
(function () {
  "use strict";

  function Wrapped(elements) {
    this.elements = elements;
    this.length = elements.length;
  }

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { fn($); });
    } else {
      fn($);
    }
  }

  function $(what) {
    if (typeof what === "function") {
      ready(what);
      return new Wrapped([]);
    }
    if (what instanceof Wrapped) return what;
    if (what === document || what === window || what instanceof Element) {
      return new Wrapped([what]);
    }
    if (typeof what === "string") {
      try {
        return new Wrapped(Array.prototype.slice.call(document.querySelectorAll(what)));
      } catch (error) {
        return new Wrapped([]);
      }
    }
    return new Wrapped([]);
  }

  const proto = Wrapped.prototype;
  proto.each = function (fn) {
    this.elements.forEach(function (el, i) { fn.call(el, i, el); });
    return this;
  };
  proto.ready = function (fn) { ready(fn); return this; };
  proto.parent = function () {
    const parents = [];
    this.elements.forEach(function (el) {
      const up = el.parentElement;
      if (up && parents.indexOf(up) < 0) parents.push(up);
    });
    return new Wrapped(parents);
  };
  proto.fadeIn = proto.show = function () {
    return this.each(function (i, el) { el.style.display = ""; });
  };
  proto.fadeOut = proto.hide = function () {
    return this.each(function (i, el) { el.style.display = "none"; });
  };
  proto.addClass = function (name) {
    return this.each(function (i, el) { el.classList.add(name); });
  };
  proto.removeClass = function (name) {
    return this.each(function (i, el) { el.classList.remove(name); });
  };
  proto.data = function (key) {
    const el = this.elements[0];
    return el && el.getAttribute ? el.getAttribute("data-" + key) : undefined;
  };
  proto.modal = function () { return this; };  // GX's walkthrough dialog is not shown
  proto.on = function (event, handler) {
    // Bootstrap's namespaced events ("click-row.bs.table", "closed.bs.alert") are ours.
    const name = event.indexOf(".") < 0 ? event : "popdq:" + event.split(".")[0];
    return this.each(function (i, el) {
      el.addEventListener(name, function (e) {
        handler.apply(el, [e].concat(e.detail instanceof Array ? e.detail : []));
      });
    });
  };
  proto.bootstrapTable = function (options) {
    if (typeof options === "string") return this;  // clear filters, reset search: none kept
    return this.each(function (i, table) { renderTable(table, options || {}); });
  };

  function named(fn) {
    if (typeof fn === "function") return fn;
    return typeof fn === "string" && typeof window[fn] === "function" ? window[fn] : null;
  }

  function renderTable(table, options) {
    const columns = options.columns || [];
    const rows = (options.data || []).slice();
    if (options.sortName) {
      const column = columns.filter(function (c) { return c.field === options.sortName; })[0];
      const key = (column && column.sortName) || options.sortName;
      const sign = options.sortOrder === "desc" ? -1 : 1;
      rows.sort(function (a, b) {
        return a[key] < b[key] ? -sign : a[key] > b[key] ? sign : 0;
      });
    }
    const rowAttributes = named(options.rowAttributes);
    const rowStyle = named(options.rowStyle);
    table.classList.add("table", "popdq-table");
    table.textContent = "";
    const head = table.createTHead().insertRow();
    columns.forEach(function (column) {
      const th = document.createElement("th");
      th.textContent = column.title || column.field;
      head.appendChild(th);
    });
    const body = table.createTBody();
    rows.forEach(function (row, index) {
      const tr = body.insertRow();
      const attributes = (rowAttributes && rowAttributes(row, index)) || {};
      Object.keys(attributes).forEach(function (name) {
        if (name === "class") {
          String(attributes[name]).split(/\s+/).filter(Boolean)
            .forEach(function (c) { tr.classList.add(c); });
        } else {
          tr.setAttribute(name, attributes[name]);
        }
      });
      const style = (rowStyle && rowStyle(row, index)) || {};
      Object.keys(style.css || {}).forEach(function (name) {
        tr.style.setProperty(name, style.css[name]);
      });
      columns.forEach(function (column) {
        const value = row[column.field];
        // GX's own markup (icons, links), as bootstrap-table shows it
        tr.insertCell().innerHTML = value === undefined || value === null ? "" : String(value);
      });
      tr.addEventListener("click", function (event) {
        if (event.target.closest("a")) return;  // a link in the row goes where it says
        table.dispatchEvent(new CustomEvent("popdq:click-row", { detail: [row, $(tr)] }));
      });
    });
  }

  function target(toggle) {
    const ref = toggle.getAttribute("data-target") || toggle.getAttribute("href") || "";
    return ref.charAt(0) === "#" ? document.getElementById(ref.slice(1)) : null;
  }

  document.addEventListener("click", function (event) {
    const dismiss = event.target.closest("[data-dismiss='alert']");
    if (dismiss) {
      const alert = dismiss.closest(".alert");
      if (alert) {
        alert.remove();
        alert.dispatchEvent(new CustomEvent("popdq:closed"));
      }
      return;
    }
    const toggle = event.target.closest("[data-toggle]");
    if (!toggle) return;
    const kind = toggle.getAttribute("data-toggle");
    if (kind === "tab") {
      event.preventDefault();
      const nav = toggle.closest(".nav") || document;
      nav.querySelectorAll("[data-toggle='tab']").forEach(function (link) {
        const on = link === toggle;
        link.classList.toggle("active", on);
        link.setAttribute("aria-selected", String(on));
        const pane = target(link);
        if (pane) {
          pane.classList.toggle("active", on);
          pane.classList.toggle("show", on);
        }
      });
    } else if (kind === "collapse") {
      event.preventDefault();
      const body = target(toggle);
      if (body) {
        const open = body.classList.toggle("show");
        toggle.setAttribute("aria-expanded", String(open));
      }
    } else if (kind === "buttons") {
      const label = event.target.closest("label.btn");
      if (label) {
        toggle.querySelectorAll("label.btn").forEach(function (other) {
          other.classList.toggle("active", other === label);
        });
      }
    }
  });

  window.$ = window.jQuery = $;
})();
