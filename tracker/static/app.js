// Small progressive enhancements. Loaded as a file: the Content-Security-Policy
// allows no inline script or event handler attribute. Every page works without it.
"use strict";
document.documentElement.classList.add("js");
(function () {
  var PREFIX = "tracker-draft:";

  // -- what was typed is never lost --------------------------------------------------------
  // Each post form's typed fields are copied to sessionStorage (this tab only) as they are
  // typed. After a refused save, an ended session, an expired form or a reload they come
  // back into the form; a page that says a save succeeded forgets what was sent. The server
  // keeps its own copy when it could not take a form (tracker/drafts.py) and hands it back
  // in <div id="restored-drafts" data-drafts="[…]">, which wins.

  function text(name, fallback) {
    var value = document.body.getAttribute("data-msg-" + name);
    return value || fallback;
  }

  function storage() {
    try {
      var s = window.sessionStorage;
      s.setItem(PREFIX + "probe", "1");
      s.removeItem(PREFIX + "probe");
      return s;
    } catch (e) {
      return null;
    }
  }

  function actionPath(form) {
    try {
      return new URL(form.getAttribute("action") || window.location.href, window.location.href).pathname;
    } catch (e) {
      return window.location.pathname;
    }
  }

  // A field a person types into or picks (never passwords, files or the CSRF token).
  function typed(el) {
    if (!el.name || el.disabled || el.name === "csrf_token") return false;
    var type = (el.type || "").toLowerCase();
    if (type === "password" || type === "file" || type === "submit" || type === "button") return false;
    if (type === "hidden") return el.name === "version";
    return true;
  }

  function draftable(form) {
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") return false;
    if (form.hasAttribute("data-no-draft")) return false;
    return Array.prototype.some.call(form.elements, function (el) {
      return typed(el) && el.type !== "hidden";
    });
  }

  function keyOf(form) {
    // Two forms may post to one address (a file and a link): told apart by their place.
    var path = actionPath(form);
    var same = Array.prototype.filter.call(document.forms, function (f) { return actionPath(f) === path; });
    return PREFIX + window.location.pathname + "|" + path + "|" + same.indexOf(form);
  }

  function read(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!typed(el)) return;
      var type = (el.type || "").toLowerCase();
      if ((type === "radio" || type === "checkbox") && !el.checked) {
        fields[el.name] = fields[el.name] || [];
        return;
      }
      if (el.tagName === "SELECT" && el.multiple) {
        fields[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
        return;
      }
      (fields[el.name] = fields[el.name] || []).push(el.value);
    });
    return fields;
  }

  function hasText(fields) {
    return Object.keys(fields).some(function (name) {
      return name !== "version" && fields[name].some(function (v) { return String(v).trim() !== ""; });
    });
  }

  // Put `fields` into `form`; true when anything changed.
  function fill(form, fields, withVersion) {
    var changed = false;
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!typed(el) || !(el.name in fields)) return;
      if (el.name === "version" && !withVersion) return;
      var values = fields[el.name].map(String);
      var type = (el.type || "").toLowerCase();
      if (type === "radio" || type === "checkbox") {
        var on = values.indexOf(el.value) !== -1 || (type === "checkbox" && values.indexOf("y") !== -1 && el.value === "y");
        if (el.checked !== on) { el.checked = on; changed = true; }
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) {
          var on = values.indexOf(o.value) !== -1;
          if (o.selected !== on) { o.selected = on; changed = true; }
        });
      } else {
        var i = seen[el.name] || 0;
        seen[el.name] = i + 1;
        if (i < values.length && el.value !== values[i]) {
          if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === values[i]; })) return;
          el.value = values[i];
          changed = true;
        }
      }
    });
    return changed;
  }

  function save(store, form, submitted) {
    var fields = read(form);
    var key = keyOf(form);
    if (!hasText(fields)) {
      store.removeItem(key);
      return;
    }
    try {
      store.setItem(key, JSON.stringify({ fields: fields, submitted: !!submitted, at: Date.now() }));
    } catch (e) { /* full: the server still has its own copy of a refused form */ }
  }

  function load(store, key) {
    try {
      var value = JSON.parse(store.getItem(key) || "null");
      return value && typeof value.fields === "object" ? value : null;
    } catch (e) {
      return null;
    }
  }

  function notice(form, store, key) {
    var note = document.createElement("div");
    note.className = "flash flash-info draft-restored";
    note.setAttribute("role", "status");
    var p = document.createElement("p");
    p.textContent = text("draft-restored", "ใส่ข้อความที่คุณพิมพ์ไว้กลับคืนแล้ว ยังไม่ได้บันทึก");
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "small";
    discard.textContent = text("draft-discard", "ล้างข้อความนี้");
    discard.addEventListener("click", function () {
      store.removeItem(key);
      form.reset();
      note.remove();
    });
    note.appendChild(p);
    note.appendChild(discard);
    form.parentNode.insertBefore(note, form);
  }

  function serverDrafts() {
    var node = document.getElementById("restored-drafts");
    if (!node) return [];
    try {
      var value = JSON.parse(node.getAttribute("data-drafts") || "[]");
      return Array.isArray(value) ? value : [];
    } catch (e) {
      return [];
    }
  }

  function keepTyping() {
    var store = storage();
    var postAnswer = document.body.getAttribute("data-reload-url");
    if (postAnswer && window.history && window.history.replaceState) {
      // This page answers a form (an error, a conflict): reloading it asks for the page
      // again by GET instead of sending the form a second time.
      window.history.replaceState(null, "", postAnswer + window.location.hash);
    }
    if (!store) return;
    if (document.querySelector(".flash-success")) {
      // A save went through: what was sent is stored now, its copy can go.
      for (var i = store.length - 1; i >= 0; i--) {
        var k = store.key(i);
        if (k && k.indexOf(PREFIX) === 0) {
          var d = load(store, k);
          if (d && d.submitted) store.removeItem(k);
        }
      }
    }
    var fromServer = serverDrafts();
    Array.prototype.forEach.call(document.forms, function (form) {
      if (!draftable(form)) return;
      var key = keyOf(form);
      var path = actionPath(form);
      var server = fromServer.filter(function (d) { return d.action === path; })[0];
      if (server) {
        fill(form, server.fields, true);
        save(store, form, false);
      } else if (postAnswer && hasText(read(form))) {
        // The server showed the form again with what was sent (and, after a conflict,
        // the version now stored): that is the copy to keep.
        save(store, form, false);
      } else {
        var kept = load(store, key);
        if (kept && fill(form, kept.fields, true)) notice(form, store, key);
      }
      var typing = function () { save(store, form, false); };
      form.addEventListener("input", typing);
      form.addEventListener("change", typing);
      form.addEventListener("submit", function () { save(store, form, true); });
    });
  }

  // -- files over the size limit are refused before they are sent ---------------------------

  function megabytes(bytes) {
    return (Math.round(bytes / 104857.6) / 10).toString();
  }

  function checkFiles(input) {
    var limit = parseInt(input.getAttribute("data-max-bytes") || document.body.getAttribute("data-max-upload") || "0", 10);
    var message = "";
    if (limit > 0 && input.files) {
      for (var i = 0; i < input.files.length; i++) {
        if (input.files[i].size > limit) {
          message = text("too-large", "ไฟล์ “%(name)s” มีขนาด %(size)s MB เกินกำหนด %(limit)s MB โปรดเลือกไฟล์ที่เล็กกว่านี้")
            .replace("%(name)s", input.files[i].name)
            .replace("%(size)s", megabytes(input.files[i].size))
            .replace("%(limit)s", megabytes(limit));
          break;
        }
      }
    }
    input.setCustomValidity(message);
    var id = (input.id || input.name) + "-size-error";
    var box = document.getElementById(id);
    if (message) {
      if (!box) {
        box = document.createElement("p");
        box.id = id;
        box.className = "field-error";
        box.setAttribute("role", "alert");
        input.insertAdjacentElement("afterend", box);
        input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
      }
      box.textContent = message;
      input.setAttribute("aria-invalid", "true");
    } else if (box) {
      box.remove();
      input.removeAttribute("aria-invalid");
    }
    return !message;
  }

  function guardUploads() {
    document.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", function () { checkFiles(input); });
      if (input.form) {
        input.form.addEventListener("submit", function (event) {
          if (!checkFiles(input)) {
            event.preventDefault();
            event.stopImmediatePropagation();
            input.focus();
          }
        }, true);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Phones: the main menu opens from one button; its state is announced (aria-expanded).
    var toggle = document.querySelector(".menu-toggle");
    var nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    // Tables that become cards on phones: each cell carries its column's heading.
    document.querySelectorAll("table.cards").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (heads[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[i]);
        });
      });
    });
    // Secret links shown in read-only fields: one tap selects the whole link for copying.
    document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
    guardUploads();
    keepTyping();
    // A refused save (someone saved first): what changed is the first thing to read.
    var conflict = document.getElementById("conflict");
    if (conflict) conflict.focus();
  });
})();
