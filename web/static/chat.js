/* Muni chat UI (framed by embed.js, or full page for deep links). Bot text is always set as
   text (textContent), never parsed as HTML; only http(s) links to allowed domains become links. */
(function () {
  "use strict";
  var root = document.getElementById("muni");
  if (!root) return;
  var d = root.dataset;
  var domains = (d.linkDomains || "").split(" ").filter(Boolean);
  var storeKey = "muni:" + d.municipality + ":" + (d.topic || "");
  var state = load() || { id: null, token: null, log: [], rated: false };
  // The conversation's language: da or en. The page may ask for one (?lang=en); a running
  // conversation keeps its own. Changing it starts a new conversation in the new language.
  var TEXT = {
    da: {
      title: " – digital assistent", log: "Samtale", question: "Skriv dit spørgsmål", send: "Send",
      person: "Tal med en medarbejder", rate: "Bedøm samtalen", choices: "Svarmuligheder", you: "Dig: ",
      legend: "Hvor tilfreds er du med hjælpen? 1 er meget utilfreds, 9 er meget tilfreds.",
      sendRating: "Send bedømmelse", pick: "Vælg et tal fra 1 til 9.", thanks: "Tak for din bedømmelse.",
      comment: "Vil du fortælle mere? (frivilligt)", commentHint: "Højst 500 tegn. Skriv ikke CPR-nummer eller andre personlige oplysninger.",
      newWindow: " (åbner i et nyt vindue)", error: "Der skete en fejl. Prøv igen om lidt.",
      writing: " skriver …", starting: "Starter samtalen …", switched: "Ny samtale på dansk.",
      expired: "Samtalen var udløbet, fordi der ikke var skrevet i den i 24 timer. Vi starter en ny samtale og sender dit spørgsmål igen.",
      resend: "Dit spørgsmål blev ikke sendt. Det står stadig i feltet, så du kan sende det igen."
    },
    en: {
      title: " – digital assistant", log: "Conversation", question: "Write your question", send: "Send",
      person: "Talk to a person", rate: "Rate the conversation", choices: "Choices", you: "You: ",
      legend: "How satisfied are you with the help? 1 is very dissatisfied, 9 is very satisfied.",
      sendRating: "Send rating", pick: "Choose a number from 1 to 9.", thanks: "Thank you for your rating.",
      comment: "Anything you would like to add? (optional)", commentHint: "At most 500 characters. Do not write your CPR number or other personal details.",
      newWindow: " (opens in a new window)", error: "Something went wrong. Please try again shortly.",
      writing: " is writing …", starting: "Starting the conversation …", switched: "New conversation in English.",
      expired: "This conversation had expired, as nothing was written in it for 24 hours. We are starting a new one and sending your question again.",
      resend: "Your question was not sent. It is still in the box, so you can send it again."
    }
  };
  var lang = state.id ? (TEXT[state.language] ? state.language : "da") : (TEXT[d.language] ? d.language : "da");
  function t(key) { return TEXT[lang][key]; }
  root.style.setProperty("--c", d.colour);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function load() {
    try { return JSON.parse(sessionStorage.getItem(storeKey)); } catch (e) { return null; }
  }

  function save() {
    try { sessionStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function safeUrl(raw) {
    var url;
    try { url = new URL(raw); } catch (e) { return null; }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    var host = url.hostname.toLowerCase();
    var ok = domains.some(function (domain) {
      return host === domain || host.slice(-(domain.length + 1)) === "." + domain;
    });
    return ok ? url.href : null;
  }

  function link(title, raw) {
    var href = safeUrl(raw);
    if (!href) return document.createTextNode(title === raw ? raw : title + " (" + raw + ")");
    var a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, title);
    a.appendChild(el("span", { "class": "sr" }, t("newWindow")));
    return a;
  }

  // Plain text with URLs in it: the URLs of allowed domains become links, everything else stays text.
  function textWithLinks(text) {
    var p = el("p");
    var re = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]/g;
    var at = 0, match;
    while ((match = re.exec(text)) !== null) {
      p.appendChild(document.createTextNode(text.slice(at, match.index)));
      p.appendChild(link(match[0], match[0]));
      at = match.index + match[0].length;
    }
    p.appendChild(document.createTextNode(text.slice(at)));
    return p;
  }

  // --- layout ---------------------------------------------------------------------------------
  // In the frame, embed.js's bar shows the name and the close button: the heading is for screen readers.
  var header = el("header", { "class": d.embedded ? "head sr" : "head" });
  var heading = el("h1");
  header.appendChild(heading);
  // Crisis mode: a banner above the conversation, a polite status region announced once per change.
  var crisis = el("section", { "class": "crisis", role: "status", "aria-live": "polite", "aria-atomic": "true", "aria-label": "Vigtig besked" });
  crisis.hidden = true;
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", tabindex: "0" });
  var status = el("p", { "class": "status", role: "status" });
  var form = el("form", { "class": "ask" });
  var input = el("textarea", { id: "muni-q", name: "q", rows: "2", maxlength: "1000", required: "" });
  var send = el("button", { type: "submit" });
  var questionLabel = el("label", { "for": "muni-q" });
  form.appendChild(questionLabel);
  var row = el("div", { "class": "row" });
  row.appendChild(input);
  row.appendChild(send);
  form.appendChild(row);
  var tools = el("div", { "class": "tools" });
  var person = el("button", { type: "button", "class": "ghost" });
  var rateBtn = el("button", { type: "button", "class": "ghost" });
  tools.appendChild(person);
  tools.appendChild(rateBtn);
  tools.appendChild(buildLanguageChoice());
  var legend = el("legend");
  var sendRating = el("button", { type: "submit" });
  var commentLabel = el("label", { "for": "muni-rating-comment" });
  var commentHint = el("span", { id: "muni-rating-comment-hint", "class": "hint" });
  var comment = el("textarea", { id: "muni-rating-comment", name: "comment", rows: "3", maxlength: "500",
    "aria-describedby": "muni-rating-comment-hint" });
  var rating = buildRating();
  [header, crisis, log, status, rating, form, tools].forEach(function (node) { root.appendChild(node); });
  label();

  // A real <select> with a visible label in both languages: keyboard and screen readers know it.
  function buildLanguageChoice() {
    var box = el("div", { "class": "lang" });
    var caption = el("label", { "for": "muni-lang" });
    caption.appendChild(el("span", { lang: "da" }, "Sprog"));
    caption.appendChild(document.createTextNode(" / "));
    caption.appendChild(el("span", { lang: "en" }, "Language"));
    var select = el("select", { id: "muni-lang", name: "language" });
    select.appendChild(el("option", { value: "da", lang: "da" }, "Dansk"));
    select.appendChild(el("option", { value: "en", lang: "en" }, "English"));
    select.value = lang;
    select.addEventListener("change", function () { switchTo(select.value); });
    box.appendChild(caption);
    box.appendChild(select);
    return box;
  }

  // Every text of the interface, in the current language; the page's lang follows.
  function label() {
    document.documentElement.lang = lang;
    root.lang = lang;
    heading.textContent = d.name + t("title");
    log.setAttribute("aria-label", t("log"));
    questionLabel.textContent = t("question");
    send.textContent = t("send");
    person.textContent = t("person");
    rateBtn.textContent = t("rate");
    legend.textContent = t("legend");
    sendRating.textContent = t("sendRating");
    commentLabel.textContent = t("comment");
    commentHint.textContent = t("commentHint");
  }

  function switchTo(language) {
    if (!TEXT[language] || language === lang) return;
    lang = language;
    state = { id: null, token: null, log: [], rated: false, language: lang };
    save();
    while (log.firstChild) log.removeChild(log.firstChild);
    rating.hidden = true;
    rateBtn.hidden = false;
    label();
    start(t("switched"));
  }

  // The conversation's token expired (24 hours after its last turn): say so, start a fresh
  // conversation in the same language (the log stays on screen), and send the question on in it.
  // If that fails too, the question goes back into the box: what the citizen wrote is never lost.
  function restart(body, shown) {
    show({ who: "note", text: t("expired") });
    state = { id: null, token: null, log: state.log, rated: false, language: lang };
    save();
    rating.hidden = true;
    rateBtn.hidden = false;
    start(null, function (started) {
      // A button of the old conversation is not one the new one offered: its title is sent as text.
      var again = body.text || body.payload === "/human_agent" ? body : { text: shown };
      if (started) { ask(again, shown, true); return; }
      giveBack(again.text);
    });
  }

  function giveBack(text) {
    send.disabled = false;
    if (text && !input.value) input.value = text;
    show({ who: "note", text: t("resend") });
    input.focus();
  }

  function buildRating() {
    var box = el("form", { "class": "rating", hidden: "" });
    var set = el("fieldset");
    set.appendChild(legend);
    var scale = el("div", { "class": "scale" });
    for (var i = 1; i <= 9; i++) {
      var id = "muni-score-" + i;
      var option = el("span");
      option.appendChild(el("input", { type: "radio", name: "score", value: String(i), id: id }));
      option.appendChild(el("label", { "for": id }, String(i)));
      scale.appendChild(option);
    }
    set.appendChild(scale);
    var words = el("div", { "class": "comment" });
    [commentLabel, commentHint, comment].forEach(function (node) { words.appendChild(node); });
    set.appendChild(words);
    set.appendChild(sendRating);
    box.appendChild(set);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = box.querySelector("input:checked");
      if (!chosen) { say(t("pick")); return; }
      var body = { score: Number(chosen.value) };
      if (comment.value.trim()) body.comment = comment.value.trim().slice(0, 500);
      api("/api/v1/conversations/" + state.id + "/rating", body).then(function () {
        state.rated = true;
        box.hidden = true;
        rateBtn.hidden = true;
        show({ who: "note", text: t("thanks") });
        input.focus();
      }, failed);
    });
    return box;
  }

  // --- messages --------------------------------------------------------------------------------
  function show(entry, fromStore) {
    if (!fromStore) { entry.lang = entry.lang || lang; state.log.push(entry); save(); }
    var item = el("div", { "class": "msg " + entry.who, lang: entry.lang || lang });
    var who = { bot: d.name + ": ", citizen: t("you"), note: "" }[entry.who];
    if (who) item.appendChild(el("span", { "class": "sr" }, who));
    entry.text.split("\n").forEach(function (line) { if (line) item.appendChild(textWithLinks(line)); });
    if (entry.links && entry.links.length) {
      var list = el("ul", { "class": "links" });
      entry.links.forEach(function (l) { var li = el("li"); li.appendChild(link(l.title, l.url)); list.appendChild(li); });
      item.appendChild(list);
    }
    if (entry.buttons && entry.buttons.length && !fromStore) {
      var group = el("div", { "class": "choices", role: "group", "aria-label": t("choices") });
      entry.buttons.forEach(function (b) {
        var button = el("button", { type: "button" }, b.title);
        button.addEventListener("click", function () { group.remove(); ask({ payload: b.payload }, b.title); });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function say(text) {
    status.textContent = text;
  }

  function failed(error) {
    status.textContent = "";
    show({ who: "note", text: (error && error.message) || t("error") });
  }

  function api(path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(path, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "omit" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var error = new Error((data.error && data.error.message) || t("error"));
            error.code = (data.error && data.error.code) || "";
            throw error;
          }
          return data;
        });
      });
  }

  function answered(data) {
    status.textContent = "";
    send.disabled = false;
    (data.messages || []).forEach(function (m) {
      show({ who: "bot", text: m.text || "", links: m.links || [], buttons: m.buttons || [] });
    });
  }

  function ask(body, shown, retried) {
    if (!state.id) {
      // No conversation yet (its start failed): start one now, then ask; failing again, keep the question.
      send.disabled = true;
      start(null, function (started) { if (started) ask(body, shown, retried); else giveBack(body.text); });
      return;
    }
    if (!retried) show({ who: "citizen", text: shown });
    status.textContent = d.name + t("writing");
    send.disabled = true;
    api("/api/v1/conversations/" + state.id + "/messages", body).then(answered, function (error) {
      send.disabled = false;
      if (error.code === "token_expired" && !retried) { restart(body, shown); return; }
      failed(error);
      if (retried) giveBack(body.text);
    });
  }

  function start(note, then) {
    var body = { municipality: d.municipality, channel: d.channel || "web", language: lang };
    if (d.topic) body.topic = d.topic;
    status.textContent = note ? note + " " + t("starting") : t("starting");
    api("/api/v1/conversations", body).then(function (data) {
      state.id = data.conversation_id;
      state.token = data.token;
      state.language = lang;
      save();
      answered(data);
      if (then) then(true);
    }, function (error) {
      failed(error);
      if (then) then(false);
    });
  }

  // --- crisis banner -------------------------------------------------------------------------
  var crisisShown = "";
  function showCrisis(data) {
    var key = data && data.active ? JSON.stringify([data.title, data.message, data.message_en, data.link, data.phone]) : "";
    if (key === crisisShown) return; // unchanged: nothing new for a screen reader to announce
    crisisShown = key;
    crisis.textContent = "";
    if (!key) { crisis.hidden = true; return; }
    crisis.appendChild(el("h2", {}, data.title));
    crisis.appendChild(el("p", {}, data.message));
    if (data.message_en) crisis.appendChild(el("p", { lang: "en" }, data.message_en));
    if (data.phone) {
      var phone = el("p", {}, "Krisetelefon: ");
      phone.appendChild(el("a", { href: "tel:" + data.phone.replace(/[^0-9+]/g, "") }, data.phone));
      crisis.appendChild(phone);
    }
    if (data.link) {
      var more = el("p");
      more.appendChild(link("Læs mere på kommunens kriseside", data.link));
      crisis.appendChild(more);
    }
    crisis.hidden = false;
  }
  function pollCrisis() {
    fetch("/api/v1/crisis/" + encodeURIComponent(d.municipality), { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) showCrisis(data); }, function () { /* keep what is shown */ });
  }
  pollCrisis();
  setInterval(pollCrisis, (Number(d.crisisPoll) || 30) * 1000);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || send.disabled) return;
    input.value = "";
    ask({ text: text }, text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  person.addEventListener("click", function () { ask({ payload: "/human_agent" }, t("person")); });
  rateBtn.addEventListener("click", function () {
    rating.hidden = false;
    rating.querySelector("input").focus();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && d.embedded) parent.postMessage({ muni: "close" }, "*");
  });

  if (state.rated) rateBtn.hidden = true;
  state.log.forEach(function (entry) { show(entry, true); });
  if (!state.id) start();
  // In the frame, focus arrives when the citizen opens the widget (embed.js focuses the frame).
  window.addEventListener("focus", function () { if (document.activeElement === document.body) input.focus(); });
  if (!d.embedded || document.hasFocus()) input.focus();
})();
