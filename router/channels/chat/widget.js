/* SafetyNet web chat widget: include with one <script src=".../channels/chat/widget.js"> tag.
 *
 * Optional attributes on the tag: data-language="es" (else the browser's language),
 * data-exit-url="https://..." (where quick exit goes), data-title="Chat with us".
 *
 * Safety rules this file keeps: nothing is written to localStorage, sessionStorage or cookies
 * (the session id and its token live only in variables of this closure, so a shared or
 * inspected device keeps no trace); every text from the network is shown with textContent,
 * never as HTML; quick exit replaces the page without adding a history entry.
 */
(function () {
  "use strict";
  if (window.__safetynetChat) { return; }
  window.__safetynetChat = true;

  var script = document.currentScript;
  var src = new URL(script.src, window.location.href);
  var base = src.href.replace(/widget\.js(\?.*)?$/, "");
  var wsUrl = (src.protocol === "https:" ? "wss:" : "ws:") + "//" + src.host +
    src.pathname.replace(/widget\.js$/, "ws");
  var exitUrl = script.getAttribute("data-exit-url") || "https://www.google.com/search?q=weather+today";
  var language = (script.getAttribute("data-language") || navigator.language || "en").toLowerCase();

  var TEXT = {
    en: {
      open: "Chat with us", title: "Confidential chat", exit: "Quick exit", send: "Send",
      leave: "Leave chat", placeholder: "Write your message", you: "You", them: "Hotline",
      start: "Write your message to start. You can stay anonymous.",
      queued: "You are in the queue", position: "Your place in line: ", wait: "Expected wait: about ",
      minutes: " min", assigned: "A responder is joining the conversation.",
      answered: "You are talking with a hotline responder.", closed: "The conversation has ended.",
      abandoned: "You left the chat.", left: "You left the chat.",
      reconnecting: "Connection lost. Reconnecting…", newchat: "Start a new chat",
      language: "Language", thanks: "Thank you. Your answer is counted without your name."
    },
    es: {
      open: "Chatea con nosotros", title: "Chat confidencial", exit: "Salida rápida", send: "Enviar",
      leave: "Salir del chat", placeholder: "Escribe tu mensaje", you: "Tú", them: "Línea de ayuda",
      start: "Escribe tu mensaje para empezar. Puedes permanecer en el anonimato.",
      queued: "Estás en la fila", position: "Tu lugar en la fila: ", wait: "Espera estimada: unos ",
      minutes: " min", assigned: "Una persona se está uniendo a la conversación.",
      answered: "Estás hablando con una persona de la línea de ayuda.",
      closed: "La conversación ha terminado.", abandoned: "Saliste del chat.", left: "Saliste del chat.",
      reconnecting: "Conexión perdida. Reconectando…", newchat: "Empezar un chat nuevo",
      language: "Idioma", thanks: "Gracias. Su respuesta se cuenta sin su nombre."
    }
  };
  function t(key) {
    var table = TEXT[language.split("-")[0]] || TEXT.en;
    return table[key] || TEXT.en[key];
  }

  var session = null;      // server-issued session id: memory only
  var token = null;        // HMAC over the session id: memory only
  var socket = null;
  var retries = 0;
  var ended = false;       // the person left, or quick exit ran: never reconnect
  var outbox = [];         // written while the socket was down; sent after the next state
  var last = { status: "new", messages: [], languages: [] };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var style = el("style");
  style.textContent = /*__CSS__*/;
  var exitButton = el("button", { id: "snc-quick-exit", type: "button", "class": "snc-exit" }, "");
  var launcher = el("button", { id: "snc-open", type: "button", "class": "snc-launcher" }, "");
  var panel = el("section", { id: "snc-panel", "class": "snc-panel", role: "dialog", hidden: "" });
  var header = el("header", { "class": "snc-header" });
  var title = el("h2", { "class": "snc-title" });
  var picker = el("select", { id: "snc-language", "class": "snc-language" });
  var status = el("p", { id: "snc-status", "class": "snc-status", "aria-live": "polite" });
  var log = el("ol", { id: "snc-log", "class": "snc-log", "aria-live": "polite" });
  var form = el("form", { "class": "snc-form" });
  var input = el("textarea", { id: "snc-input", rows: "2", maxlength: "4000", autocomplete: "off" });
  var sendButton = el("button", { id: "snc-send", type: "submit" });
  var leaveButton = el("button", { id: "snc-leave", type: "button", "class": "snc-link" });
  var newButton = el("button", { id: "snc-new", type: "button", "class": "snc-link", hidden: "" });
  var survey = el("div", { id: "snc-feedback", "class": "snc-feedback", hidden: "" });
  header.append(title, picker);
  form.append(input, sendButton);
  panel.append(header, status, log, survey, form, leaveButton, newButton);

  function label() {
    exitButton.textContent = t("exit");
    launcher.textContent = t("open");
    title.textContent = script.getAttribute("data-title") || t("title");
    input.setAttribute("placeholder", t("placeholder"));
    input.setAttribute("aria-label", t("placeholder"));
    picker.setAttribute("aria-label", t("language"));
    sendButton.textContent = t("send");
    leaveButton.textContent = t("leave");
    newButton.textContent = t("newchat");
  }

  function describe(state) {
    switch (state.status) {
      case "new": return state.greeting ? state.greeting + " " + t("start") : t("start");
      case "queued":
      case "offered": {
        var parts = [t("queued") + "."];
        if (state.position) { parts.push(t("position") + state.position + "."); }
        if (state.expected_wait_s) {
          parts.push(t("wait") + Math.max(1, Math.round(state.expected_wait_s / 60)) + t("minutes") + ".");
        }
        return parts.join(" ");
      }
      default: return t(state.status) || state.status;
    }
  }

  function render(state) {
    last = state;
    status.textContent = describe(state);
    status.setAttribute("data-status", state.status);
    log.textContent = "";
    state.messages.forEach(function (m) {
      var item = el("li", { "class": "snc-msg snc-" + m.direction });
      item.append(el("span", { "class": "snc-who" }, m.direction === "in" ? t("you") : t("them")));
      item.append(el("span", { "class": "snc-body" }, m.body));
      log.append(item);
    });
    log.scrollTop = log.scrollHeight;
    renderFeedback(state);
    var over = state.status === "closed" || state.status === "abandoned";
    input.disabled = over;
    sendButton.disabled = over;
    newButton.hidden = !over;
    leaveButton.hidden = over;
    if (picker.options.length === 0 && state.languages && state.languages.length > 1) {
      state.languages.forEach(function (lang) {
        var option = el("option", { value: lang }, lang.toUpperCase());
        if (lang === language || lang === language.split("-")[0]) { option.selected = true; }
        picker.append(option);
      });
    }
    picker.hidden = picker.options.length === 0;
    picker.disabled = state.status !== "new";
  }

  // One optional question after the conversation; the answer carries nothing but itself.
  function renderFeedback(state) {
    survey.textContent = "";
    if (state.feedback) {
      survey.append(el("p", { "class": "snc-feedback-q" }, state.feedback.question));
      state.feedback.scale.forEach(function (answer) {
        var button = el("button", { type: "button", "class": "snc-feedback-a" }, answer);
        button.addEventListener("click", function () { send({ type: "feedback", answer: answer }); });
        survey.append(button);
      });
    } else if (state.feedback_thanks) {
      survey.append(el("p", { "class": "snc-feedback-q" }, t("thanks")));
    }
    survey.hidden = !state.feedback && !state.feedback_thanks;
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function connect() {
    if (ended) { return; }
    socket = new WebSocket(wsUrl);
    socket.onopen = function () {
      retries = 0;
      send({ type: "hello", session: session, token: token, language: language });
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame.type === "state") {
        session = frame.session;
        token = frame.token;
        render(frame);
        while (outbox.length && send({ type: "message", body: outbox[0] })) { outbox.shift(); }
      } else if (frame.type === "left") {
        render({ status: "abandoned", messages: last.messages, languages: last.languages });
      } else if (frame.type === "error") {
        status.textContent = frame.message;
      }
    };
    socket.onclose = function () {
      socket = null;
      if (ended) { return; }
      status.textContent = t("reconnecting");
      retries += 1;
      setTimeout(connect, Math.min(10000, 250 * Math.pow(2, retries)));
    };
  }

  function beaconLeave() {
    if (!session || !navigator.sendBeacon) { return; }
    // text/plain keeps this a "simple" request: no CORS preflight that a closing page would lose.
    navigator.sendBeacon(base + "leave",
      new Blob([JSON.stringify({ session: session, token: token })], { type: "text/plain" }));
  }

  function leave() {
    if (!send({ type: "leave" })) { beaconLeave(); }
    ended = true;
    render({ status: "abandoned", messages: last.messages, languages: last.languages });
  }

  function quickExit() {
    ended = true;
    send({ type: "leave" });
    beaconLeave();
    session = token = null;
    outbox = [];
    if (socket) { try { socket.close(); } catch (e) { /* leaving anyway */ } }
    // Blank the page first so nothing stays on screen while the next page loads.
    document.title = "";
    document.body.textContent = "";
    window.location.replace(exitUrl);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) { return; }
    input.value = "";
    if (!send({ type: "message", body: body })) { outbox.push(body); }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  picker.addEventListener("change", function () {
    language = picker.value;
    label();
    send({ type: "hello", session: session, token: token, language: language });
  });
  launcher.addEventListener("click", function () {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) {
      if (!socket && !ended) { connect(); }
      input.focus();
    }
  });
  leaveButton.addEventListener("click", leave);
  newButton.addEventListener("click", function () {
    session = token = null;
    ended = false;
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    render({ status: "new", messages: [], languages: last.languages, greeting: last.greeting });
    connect();
  });
  exitButton.addEventListener("click", quickExit);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { quickExit(); }
  });
  window.addEventListener("pagehide", function () {
    if (!ended) { ended = true; beaconLeave(); }
  });

  function mount() {
    label();
    render(last);
    document.head.append(style);
    document.body.append(exitButton, launcher, panel);
    if (script.hasAttribute("data-open")) { launcher.click(); }
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
}());
