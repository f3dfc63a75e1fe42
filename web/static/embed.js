/* Muni embed script: <script src="https://<muni>/embed.js" data-municipality="aarhus" async></script>
   Loads nothing else until the citizen opens the assistant; the chat itself runs in a frame
   from the gateway, so the site's CSS and the chat's cannot touch each other. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || window.__muniEmbed) return;
  window.__muniEmbed = true;
  var slug = script.getAttribute("data-municipality") || "";
  var base = new URL(script.src).origin;
  var openKey = "muni-open:" + slug;

  function pageAllowed(patterns) {
    if (!patterns.length) return true;
    var here = location.origin + location.pathname;
    return patterns.some(function (pattern) {
      var target = pattern.charAt(0) === "/" ? location.pathname : here;
      var parts = pattern.split("*").map(function (part) {
        return part.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
      });
      return new RegExp("^" + parts.join(".*") + "$").test(target);
    });
  }

  function remember(open) {
    try {
      if (open) sessionStorage.setItem(openKey, "1");
      else sessionStorage.removeItem(openKey);
    } catch (e) { /* storage may be blocked: the widget still works on this page */ }
  }

  function wasOpen() {
    try { return sessionStorage.getItem(openKey) === "1"; } catch (e) { return false; }
  }

  var CSS =
    ":host{all:initial}" +
    ".launcher,.close{font:600 16px/1.2 system-ui,sans-serif;color:#fff;background:var(--c);border:2px solid #fff;" +
    "border-radius:24px;padding:12px 20px;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.35)}" +
    ".launcher{position:fixed;right:16px;bottom:16px;z-index:2147483646}" +
    ".launcher:focus-visible,.close:focus-visible{outline:3px solid #000;outline-offset:2px}" +
    ".panel{position:fixed;right:16px;bottom:16px;z-index:2147483647;width:min(400px,calc(100vw - 32px));" +
    "height:min(640px,calc(100vh - 32px));display:flex;flex-direction:column;background:#fff;border-radius:12px;" +
    "box-shadow:0 4px 24px rgba(0,0,0,.35);overflow:hidden}" +
    ".bar{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:8px 12px;" +
    "background:var(--c);color:#fff;font:600 16px/1.3 system-ui,sans-serif}" +
    ".close{padding:6px 14px;box-shadow:none}" +
    "iframe{flex:1;width:100%;border:0}" +
    "[hidden]{display:none!important}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;border-radius:0}}";

  function mount(config) {
    // An element name no site stylesheet targets, reset inline: the page's CSS cannot reach the widget.
    var host = document.createElement("muni-assistant");
    host.setAttribute("data-muni", slug);
    host.style.setProperty("all", "initial", "important");
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);
    host.style.setProperty("--c", config.colour);

    var label = "Chat med " + config.name + "s digitale assistent";
    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher";
    launcher.textContent = "Spørg " + config.name;
    launcher.setAttribute("aria-label", label);
    launcher.setAttribute("aria-expanded", "false");

    var panel = document.createElement("div");
    panel.className = "panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", label);
    var bar = document.createElement("div");
    bar.className = "bar";
    var title = document.createElement("span");
    title.textContent = config.name;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.textContent = "Luk";
    close.setAttribute("aria-label", "Luk chatten");
    bar.appendChild(title);
    bar.appendChild(close);
    panel.appendChild(bar);
    root.appendChild(launcher);
    root.appendChild(panel);
    var frame = null;

    function open(focus) {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.title = label;
        frame.src = base + config.widget;
        frame.setAttribute("allow", "");
        if (focus) frame.addEventListener("load", function () { frame.focus(); });
        panel.appendChild(frame);
      } else if (focus) {
        frame.focus();
      }
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      remember(true);
    }

    function shut() {
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      remember(false);
      launcher.focus();
    }

    launcher.addEventListener("click", function () { open(true); });
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") shut();
    });
    window.addEventListener("message", function (event) {
      if (event.origin === base && frame && event.source === frame.contentWindow &&
          event.data && event.data.muni === "close") shut();
    });
    document.body.appendChild(host);
    if (wasOpen()) open(false);
    // For the site's own analytics (and the benchmark): the launcher can be used from now on.
    document.dispatchEvent(new CustomEvent("muni:ready", { detail: { municipality: slug } }));
  }

  fetch(base + "/embed/" + encodeURIComponent(slug) + "/config", { credentials: "omit" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (config) {
      if (!config || !pageAllowed(config.pages)) return;
      if (document.body) mount(config);
      else document.addEventListener("DOMContentLoaded", function () { mount(config); });
    })
    .catch(function () { /* a refused origin or a network error: the page stays as it was */ });
})();
