// Usher's small script: menu buttons, copying links, confirmation dialogs
// and dismissible banners. Everything here enhances pages that already
// work without JavaScript. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

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
          banner("info", "Copy this invitation link:", res.body.link);
        };
        if (!navigator.clipboard || !window.isSecureContext) return fallback();
        navigator.clipboard.writeText(res.body.link).then(function () {
          banner("success", res.body.message);
        }, fallback);
      })
      .catch(function () {
        banner("error", "The link could not be fetched. Check your connection and try again.");
      });
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
  document.addEventListener("htmx:afterSettle", function (e) {
    const slot = document.getElementById("dialog-slot");
    if (!slot || e.detail.target !== slot) return;
    const dialog = slot.querySelector("dialog");
    if (!dialog) return;
    const opener = lastMenuButton;
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
})();
