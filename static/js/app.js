// Usher's small script: menu buttons, copying links, confirmation dialogs
// and dismissible banners. Everything here enhances pages that already
// work without JavaScript. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // What the script says, in the page's language: given by the script
  // before this one (layouts.TextsPath).
  const texts = window.usherTexts || {};
  const plurals = new Intl.PluralRules(document.documentElement.lang || "en");

  // ---- Menu buttons (WAI-ARIA menu button pattern) ----
  let lastMenuButton = null;

  function items(menu) {
    return Array.from(menu.querySelectorAll('[role="menuitem"]:not([disabled])'));
  }
  function menuOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }
  // A row's menu is made the first time it opens, from copies of the
  // page's #menu-items template, one for each action its row names
  // (data-actions): the page does not carry fifty menus nobody opens.
  function buildMenu(button) {
    const built = menuOf(button);
    if (built) return built;
    const holder = button.closest("[data-user-id]");
    const tpl = document.getElementById("menu-items");
    if (!holder || !tpl) return null;
    const menu = document.createElement("ul");
    menu.setAttribute("role", "menu");
    menu.id = "menu-" + holder.dataset.userId;
    menu.className = "menu-list";
    menu.setAttribute("aria-label", button.getAttribute("aria-label"));
    menu.hidden = true;
    holder.dataset.actions.split(" ").forEach(function (name) {
      const item = tpl.content.querySelector('[data-action="' + name + '"]');
      if (item) menu.appendChild(item.cloneNode(true));
    });
    holder.appendChild(menu);
    button.setAttribute("aria-controls", menu.id);
    if (window.htmx) window.htmx.process(menu);
    return menu;
  }
  // The copies are never changed: an item's address holds "{id}" for the
  // user, completed when the item is used with its row's data-user-id.
  function addressFor(item, address) {
    return address.replace("{id}", item.closest("[data-user-id]").dataset.userId);
  }
  // An item also says which view of the list it was chosen in (the page's
  // address, as the no-JavaScript forms' "return" field does), so that
  // the answer can bring that view's counts up to date, and a dialog's
  // form carries it on.
  document.addEventListener("htmx:configRequest", function (e) {
    if (!e.detail.elt.closest('[role="menu"]')) return;
    e.detail.path = addressFor(e.detail.elt, e.detail.path);
    e.detail.parameters["return"] = location.pathname + location.search;
  });
  function openMenu(button, focus) {
    closeMenus();
    const menu = buildMenu(button);
    if (!menu) return;
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    lastMenuButton = button;
    // Open upwards when there is no room below (last rows of the page).
    const r = button.getBoundingClientRect();
    menu.classList.toggle("menu-up", window.innerHeight - r.bottom < menu.offsetHeight + 16);
    const list = items(menu);
    if (list.length) (focus === "last" ? list[list.length - 1] : list[0]).focus();
  }
  function closeMenus(returnFocus) {
    document.querySelectorAll('[data-menu-button][aria-expanded="true"]').forEach(function (b) {
      b.setAttribute("aria-expanded", "false");
      const m = menuOf(b);
      if (m) m.hidden = true;
      if (returnFocus) b.focus();
    });
  }

  document.addEventListener("click", function (e) {
    const button = e.target.closest("[data-menu-button]");
    if (button) {
      e.preventDefault();
      if (button.getAttribute("aria-expanded") === "true") closeMenus(true);
      else openMenu(button, "first");
      return;
    }
    // Choosing an item ends the menu whatever the answer, a refusal too.
    if (e.target.closest('[role="menuitem"]')) closeMenus(true);
    else if (!e.target.closest('[role="menu"]')) closeMenus(false);
  });

  document.addEventListener("keydown", function (e) {
    const button = e.target.closest("[data-menu-button]");
    if (button && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      openMenu(button, e.key === "ArrowUp" ? "last" : "first");
      return;
    }
    const menu = e.target.closest('[role="menu"]');
    if (!menu) {
      if (e.key === "Escape") closeMenus(true);
      return;
    }
    const list = items(menu);
    const i = list.indexOf(document.activeElement);
    switch (e.key) {
      case "ArrowDown":
        e.preventDefault();
        list[(i + 1) % list.length].focus();
        break;
      case "ArrowUp":
        e.preventDefault();
        list[(i - 1 + list.length) % list.length].focus();
        break;
      case "Home":
        e.preventDefault();
        list[0].focus();
        break;
      case "End":
        e.preventDefault();
        list[list.length - 1].focus();
        break;
      case "Escape":
        e.preventDefault();
        closeMenus(true);
        break;
      case "Tab":
        closeMenus(false);
        break;
    }
  });

  // ---- Banner ----
  function banner(kind, message, link) {
    const slot = document.getElementById("banner");
    if (!slot) return;
    const tpl = document.getElementById("banner-template");
    const node = tpl.content.firstElementChild.cloneNode(true);
    node.classList.add("banner-" + kind);
    node.querySelector("[data-banner-text]").textContent = message;
    if (link) {
      const field = node.querySelector("[data-banner-link]");
      field.hidden = false;
      const input = field.querySelector("input");
      input.value = link;
      slot.replaceChildren(node);
      input.focus();
      input.select();
      return;
    }
    slot.replaceChildren(node);
  }

  document.addEventListener("click", function (e) {
    const close = e.target.closest("[data-dismiss]");
    if (close) {
      const b = close.closest(".banner");
      if (b) b.remove();
    }
  });

  // ---- Copy invitation link ----
  document.addEventListener("click", function (e) {
    const item = e.target.closest("[data-copy-link]");
    if (!item) return;
    fetch(addressFor(item, item.dataset.copyLink), {
      method: "POST",
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (r) {
        return r.json().then(function (body) {
          return { ok: r.ok, body: body };
        });
      })
      .then(function (res) {
        if (!res.ok) {
          banner("error", res.body.message);
          return;
        }
        const fallback = function () {
          banner("info", texts.copyLink, res.body.link);
        };
        if (!navigator.clipboard || !window.isSecureContext) return fallback();
        navigator.clipboard.writeText(res.body.link).then(function () {
          banner("success", res.body.message);
        }, fallback);
      })
      .catch(function () {
        banner("error", texts.linkFailed);
      });
  });

  // ---- Tooltips ----
  // Escape hides a tooltip without moving focus (WCAG 1.4.13); it shows
  // again the next time.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && e.target.classList && e.target.classList.contains("tip")) e.target.classList.add("tip-dismissed");
  });
  document.addEventListener("focusout", function (e) {
    if (e.target.classList && e.target.classList.contains("tip")) e.target.classList.remove("tip-dismissed");
  });

  // ---- Focus after a row action ----
  // The focused menu item leaves with the row it was in; put focus back on
  // the new row's menu button, or on the page when the row is gone.
  let rowToFocus = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    const t = e.detail.target;
    rowToFocus = t && t.matches("tr[id]") ? t.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!rowToFocus) return;
    const id = rowToFocus;
    rowToFocus = null;
    if (document.querySelector("dialog[open]")) return;
    const active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) return;
    const row = document.getElementById(id);
    const target = row ? row.querySelector("[data-menu-button]") : document.getElementById("main");
    if (target) target.focus();
  });

  // ---- Confirmation dialogs ----
  // A confirmation page is fetched by htmx into #dialog-slot; show it modal.
  // Focus goes back to what opened it: a row's menu button, or a link or
  // button outside any menu (a space's Remove from this space).
  let dialogOpener = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    const t = e.detail.target;
    if (t && t.id === "dialog-slot") dialogOpener = e.detail.elt.closest('[role="menu"]') ? null : e.detail.elt;
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    const slot = document.getElementById("dialog-slot");
    if (!slot || e.detail.target !== slot) return;
    const dialog = slot.querySelector("dialog");
    if (!dialog) return;
    const opener = dialogOpener || lastMenuButton;
    dialogOpener = null;
    dialog.addEventListener("close", function () {
      slot.replaceChildren();
      if (opener && document.body.contains(opener)) opener.focus();
      else {
        const main = document.getElementById("main");
        if (main) main.focus();
      }
    });
    dialog.showModal();
  });
  // Close the dialog once its form has an answer: the banner behind it
  // says what happened, refusals included. Keep it open if the network failed.
  document.addEventListener("htmx:afterRequest", function (e) {
    const dialog = e.target.closest && e.target.closest("dialog");
    if (!dialog || e.target.tagName !== "FORM" || e.target.hasAttribute("data-keep-open")) return;
    if (e.detail.xhr && e.detail.xhr.status !== 0) dialog.close();
  });
  document.addEventListener("click", function (e) {
    const c = e.target.closest("[data-close-dialog]");
    if (c) {
      e.preventDefault();
      c.closest("dialog").close();
    }
  });
  // An error answer still carries its banner: let htmx swap it.
  document.addEventListener("htmx:beforeSwap", function (e) {
    const status = e.detail.xhr.status;
    if (status >= 400 && status < 500) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // ---- Selection (bulk actions) ----
  // Each row's checkbox belongs to the bar's form (form=…). The bar says
  // how many are selected and shows only the actions that apply to at
  // least one of them (each row's menu names its actions); the header's
  // checkbox ticks the whole page. Without JavaScript the bar is the same
  // form, with every action.
  function pluralText(forms, n) {
    const form = forms[plurals.select(n)] || forms.other;
    return form.replace("{n}", n.toLocaleString(document.documentElement.lang));
  }
  function bulkUpdate() {
    const bar = document.querySelector("[data-bulk-bar]");
    if (!bar) return;
    const boxes = Array.from(document.querySelectorAll("[data-bulk-row]"));
    const picked = boxes.filter(function (b) { return b.checked; });
    const all = bar.querySelector("[data-bulk-all]");
    const allOn = !!(all && all.checked);
    const n = allOn ? Number(bar.dataset.total) : picked.length;
    const applies = new Set();
    picked.forEach(function (b) {
      const m = b.closest("tr").querySelector("[data-actions]");
      if (m) m.dataset.actions.split(" ").forEach(function (a) { applies.add(a); });
    });
    bar.querySelectorAll("[data-bulk-action]").forEach(function (btn) {
      // Every page of the view: the other pages' rows are not here to ask.
      btn.hidden = n === 0 || (!allOn && !applies.has(btn.dataset.bulkAction));
    });
    const count = bar.querySelector("[data-bulk-count]");
    if (count) {
      const text = n === 0 ? texts.bulkNone : pluralText(allOn ? texts.bulkAll : texts.bulkSelected, n);
      if (text && count.textContent !== text) count.textContent = text;
    }
    const page = document.querySelector("[data-bulk-page]");
    if (page) {
      page.checked = boxes.length > 0 && picked.length === boxes.length;
      page.indeterminate = picked.length > 0 && picked.length < boxes.length;
    }
  }
  document.addEventListener("change", function (e) {
    const t = e.target;
    if (!t.matches) return;
    if (t.matches("[data-bulk-page]")) {
      document.querySelectorAll("[data-bulk-row]").forEach(function (b) { b.checked = t.checked; });
    }
    if (t.matches("[data-bulk-page], [data-bulk-row], [data-bulk-all]")) bulkUpdate();
  });
  document.addEventListener("htmx:afterSettle", bulkUpdate);
  bulkUpdate();

  // ---- Roles picker ----
  // The roles given so far are a list, each with its role and Remove; a
  // role is added by finding its space in a combobox (WAI-ARIA APG
  // combobox with a listbox popup, list autocomplete). Without
  // JavaScript, Add and Remove are submit buttons and the space is a
  // <select>, whose options are also what the combobox searches: the page
  // already holds every space it may offer (500 are searched in under a
  // millisecond), so a search asks the server nothing.
  // shownAtMost bounds the options shown at once: laying out hundreds
  // costs more than finding them, and nobody reads past a few dozen.
  const shownAtMost = 50;
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  // spacesOf reads a picker's spaces from its <select> once, and makes
  // an option for each; the listbox holds only those shown.
  function spacesOf(picker) {
    if (picker._spaces) return picker._spaces;
    const spaces = [];
    picker.querySelectorAll("#add_space option[data-name]").forEach(function (o, i) {
      const s = { id: o.value, name: o.dataset.name, unit: o.dataset.unit, kind: o.dataset.kind, roles: o.dataset.roles.split(" "), order: i };
      s.key = fold(s.name + "\n" + s.unit);
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "role-option-" + s.id;
      li.setAttribute("aria-selected", "false");
      li.dataset.space = s.id;
      if (s.unit) {
        const u = document.createElement("span");
        u.className = "role-unit";
        u.textContent = s.unit;
        li.append(u, " "); // a space in its accessible name
      }
      const n = document.createElement("span");
      n.className = "role-name";
      n.textContent = s.name;
      const k = document.createElement("span");
      k.className = "role-kind";
      k.textContent = s.kind;
      li.append(n, " ", k);
      s.li = li;
      spaces.push(s);
    });
    picker._spaces = spaces;
    return spaces;
  }
  function givenItem(picker, id) {
    return picker.querySelector('[data-role-list] > li[data-space="' + id + '"]');
  }
  function say(picker, text) {
    picker.querySelector('[data-combobox] [role="status"]').textContent = text;
  }
  function countText(n) {
    if (n === 0) return texts.noMatch;
    const forms = texts.matches;
    const form = forms[plurals.select(n)] || forms.other;
    return form.replace("{n}", n.toLocaleString(document.documentElement.lang));
  }
  function comboParts(input) {
    const picker = input.closest("[data-roles-picker]");
    return { picker: picker, list: document.getElementById(input.getAttribute("aria-controls")) };
  }
  function shown(list) {
    return Array.from(list.querySelectorAll('[role="option"]'));
  }
  // filter shows the spaces whose name and unit hold every word typed
  // ("17 room 4": Room 4 of Clinic 17), in the tree's order, and says how
  // many.
  function filter(input) {
    const c = comboParts(input);
    const words = fold(input.value).split(/\s+/).filter(Boolean);
    const given = new Set();
    c.picker.querySelectorAll("[data-role-list] > li").forEach(function (li) {
      given.add(li.dataset.space);
    });
    let n = 0;
    const show = [];
    spacesOf(c.picker).forEach(function (s) {
      if (!words.every(function (w) { return s.key.includes(w); })) return;
      if (n++ >= shownAtMost) return;
      const has = given.has(s.id);
      if (s.given !== has) {
        s.li.dataset.given = texts.hasRole;
        s.li.classList.toggle("role-option-given", (s.given = has));
      }
      show.push(s.li);
    });
    activate(input, null);
    c.list.replaceChildren.apply(c.list, show);
    c.list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    const more = n > shownAtMost;
    c.picker.querySelector("[data-combobox-more]").hidden = !more;
    say(c.picker, countText(n) + (more ? " " + texts.firstShown.replace("{n}", shownAtMost) : ""));
  }
  function activate(input, li) {
    const list = comboParts(input).list;
    list.querySelectorAll('[aria-selected="true"]').forEach(function (o) {
      o.setAttribute("aria-selected", "false");
    });
    if (!li) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    li.setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }
  function collapse(input) {
    const c = comboParts(input);
    activate(input, null);
    c.list.hidden = true;
    c.picker.querySelector("[data-combobox-more]").hidden = true;
    input.setAttribute("aria-expanded", "false");
  }
  // choose adds a role in the space of option li (Member, or the lowest
  // role offered there) and moves focus to that role, to change it; a
  // space that already has a role just gets the focus.
  function choose(input, li) {
    const picker = comboParts(input).picker;
    const s = spacesOf(picker).find(function (x) { return x.li === li; });
    collapse(input);
    input.value = "";
    let item = givenItem(picker, s.id);
    if (item) {
      item.querySelector("select").focus();
      say(picker, s.name + " already has a role.");
      return;
    }
    item = picker.querySelector("template[data-role-item]").content.firstElementChild.cloneNode(true);
    const place = s.unit ? s.name + " in " + s.unit : s.name;
    item.dataset.space = s.id;
    item.dataset.order = s.order;
    item.querySelector('[data-slot="unit"]').textContent = s.unit;
    item.querySelector('[data-slot="unit"]').hidden = !s.unit;
    item.querySelector('[data-slot="name"]').textContent = s.name;
    item.querySelector('[data-slot="kind"]').textContent = s.kind;
    const select = item.querySelector("select");
    select.name = select.id = "role_" + s.id;
    select.setAttribute("aria-label", texts.roleIn.replace("{place}", place));
    Array.from(select.options).forEach(function (o) {
      if (!s.roles.includes(o.value)) o.remove();
    });
    const remove = item.querySelector('button[name="remove"]');
    remove.value = s.id;
    remove.querySelector(".visually-hidden").textContent = " the role in " + place;
    // In the tree's order, as the server lists them.
    const list = picker.querySelector("[data-role-list]");
    const after = Array.from(list.children).find(function (x) {
      return orderOf(picker, x) > s.order;
    });
    list.insertBefore(item, after || null);
    picker.querySelector("[data-role-none]").hidden = true;
    select.focus();
    say(picker, place + " added as " + select.options[select.selectedIndex].text + ".");
  }
  function orderOf(picker, item) {
    if (item.dataset.order === undefined) {
      const s = spacesOf(picker).find(function (x) { return x.id === item.dataset.space; });
      item.dataset.order = s ? s.order : -1;
    }
    return Number(item.dataset.order);
  }

  document.addEventListener("input", function (e) {
    const input = e.target;
    if (!input.matches || !input.matches('[data-combobox] [role="combobox"]')) return;
    if (input.value.trim() === "") collapse(input);
    else filter(input);
  });
  document.addEventListener("keydown", function (e) {
    const input = e.target;
    if (!input.matches || !input.matches('[data-combobox] [role="combobox"]')) return;
    const list = comboParts(input).list;
    const open = input.getAttribute("aria-expanded") === "true";
    const options = open ? shown(list) : [];
    const active = document.getElementById(input.getAttribute("aria-activedescendant") || "");
    const i = options.indexOf(active);
    switch (e.key) {
      case "ArrowDown":
      case "ArrowUp": {
        e.preventDefault();
        if (!open) {
          filter(input);
          const all = shown(list);
          if (all.length) activate(input, e.key === "ArrowUp" ? all[all.length - 1] : all[0]);
          return;
        }
        if (!options.length) return;
        const next = e.key === "ArrowDown" ? (i + 1) % options.length : (i <= 0 ? options.length : i) - 1;
        activate(input, options[next]);
        break;
      }
      case "Enter":
        // Enter in the search never sends the form.
        e.preventDefault();
        if (open && active) {
          enterMovedFocus = true;
          choose(input, active);
        }
        break;
      case "Escape":
        // The popup closes first; the dialog around it stays open.
        if (open) {
          e.preventDefault();
          e.stopPropagation();
          collapse(input);
        } else if (input.value) {
          e.preventDefault();
          e.stopPropagation();
          input.value = "";
        }
        break;
      case "Tab":
        collapse(input);
        break;
    }
  });
  // Enter that chose a space moved the focus to its role: the rest of that
  // key press (its keypress, as some browsers and drivers still send it)
  // must not open the role's <select>.
  let enterMovedFocus = false;
  document.addEventListener("keypress", function (e) {
    if (enterMovedFocus && e.key === "Enter") e.preventDefault();
  }, true);
  document.addEventListener("keyup", function (e) {
    if (e.key === "Enter") enterMovedFocus = false;
  }, true);
  // A click in the listbox (an option, its scroll bar) must not take
  // focus from the input, which would close it.
  document.addEventListener("mousedown", function (e) {
    if (e.target.closest && e.target.closest('[data-combobox] [role="listbox"]')) e.preventDefault();
  });
  document.addEventListener("click", function (e) {
    const li = e.target.closest && e.target.closest('[data-combobox] [role="option"]');
    if (li) {
      const input = li.closest("[data-combobox]").querySelector('[role="combobox"]');
      choose(input, li);
      return;
    }
    const remove = e.target.closest && e.target.closest('[data-roles-picker] [data-role-list] button[name="remove"]');
    if (!remove) return;
    e.preventDefault();
    const picker = remove.closest("[data-roles-picker]");
    const item = remove.closest("li");
    const name = item.querySelector('[data-slot="name"]').textContent;
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    const empty = !picker.querySelector("[data-role-list] > li");
    picker.querySelector("[data-role-none]").hidden = !empty;
    (next ? next.querySelector('button[name="remove"]') : picker.querySelector('[role="combobox"]')).focus();
    say(picker, texts.roleGone.replace("{place}", name));
  });
  document.addEventListener("focusout", function (e) {
    const input = e.target;
    if (input.matches && input.matches('[data-combobox] [role="combobox"]')) collapse(input);
  });
})();
