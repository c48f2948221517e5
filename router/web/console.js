/* SafetyNet console, core: signing in, the API, the live feed, presence, open contacts.
 *
 * The other scripts add one part each to window.SafetyNet: offers (console-offers.js), the close
 * form (console-close.js), flags and hand-over during a contact (console-tools.js) and the
 * supervisor's view (console-supervisor.js). This file starts the page once they are all loaded.
 *
 * Everything comes from the JSON API with the responder's bearer token; live notices arrive on
 * /console/events. The token is kept in sessionStorage: it survives a reload of this tab but not
 * closing it, is never shared with other tabs, and (unlike a cookie) is never attached to
 * requests by the browser, so other sites cannot act with it.
 * All text from the network is set with textContent, never parsed as HTML.
 */
(function () {
  "use strict";
  var SN = window.SafetyNet = window.SafetyNet || {};
  var KEY = "safetynet.console.token";
  var token = sessionStorage.getItem(KEY);
  var cards = {};          // contact id -> card elements, kept so a half-written reply survives
  var refreshTimer = null;
  var streamAbort = null;
  SN.me = null;
  SN.protocol = null;

  // -- small helpers every part uses ----------------------------------------------
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function ago(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 60) { return seconds + " s"; }
    var m = Math.floor(seconds / 60);
    return m < 60 ? m + " min " + (seconds % 60) + " s" : Math.floor(m / 60) + " h " + (m % 60) + " min";
  }
  function mmss(seconds) {   // 92 -> "1:32"
    seconds = Math.max(0, Math.ceil(seconds));
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }
  function since(iso) { return (Date.now() - Date.parse(iso)) / 1000; }
  function words(id) { return String(id).replace(/[_-]/g, " "); }

  function api(method, path, body) {
    var init = { method: method, headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : null;
        if (!response.ok) {
          var error = new Error(data && data.error ? data.error.message : response.statusText);
          error.status = response.status;
          error.details = data && data.error ? data.error.details : null;
          throw error;
        }
        return data;
      });
    });
  }
  function notice(message) { $("notice").textContent = message || ""; }
  // An action from a card: errors are shown where given (`show`), else at the top of the page.
  function act(promise, show) {
    notice("");
    return promise.then(refresh).catch(function (error) {
      if (show) { show(error); } else { notice(error.message); }
      refresh();
      throw error;
    }).catch(function () { /* shown above */ });
  }
  SN.$ = $; SN.el = el; SN.ago = ago; SN.mmss = mmss; SN.since = since; SN.words = words;
  SN.api = api; SN.act = act; SN.notice = notice;

  // -- signing in and out ------------------------------------------------------
  function whoami() {
    return api("GET", "/console/whoami").then(function (who) {
      SN.me = who;
      $("who").textContent = (who.responder || who.role) + (who.supervisor && who.responder ? " · supervisor" : "");
      $("queue-section").hidden = !who.supervisor;
      $("board").hidden = !who.supervisor;
      drawPresence(who);
      return who;
    });
  }
  function signIn(candidate) {
    token = candidate;
    return whoami().then(function () {
      sessionStorage.setItem(KEY, token);
      $("signin").hidden = true;
      $("app").hidden = false;
      $("signout").hidden = false;
      SN.alerts.draw();   // signed in: say if sound and notifications are still off
      return api("GET", "/console/protocol");
    }).then(function (proto) {
      SN.protocol = proto;
      listen();
      return refresh();
    }).catch(function (error) {
      token = null;
      sessionStorage.removeItem(KEY);
      $("signin-error").textContent = error.status === 401 ? "That token was not accepted." : error.message;
    });
  }
  function signOut() {
    sessionStorage.removeItem(KEY);
    token = null;
    if (streamAbort) { streamAbort.abort(); }
    window.location.replace("/console");
  }

  // -- presence: available or away, set here; a wrap-up or a break is the engine's, shown with
  // its time left. A responder record may carry `wrap_up_until` / `break_until`; they are read
  // against the server's `at`, so a phone whose clock is off still counts down right.
  function staffState(r, serverAt, readAt) {
    var kind = r.presence || "offline";
    var until = null;
    if (r.break_until) {
      kind = "break";
      until = r.break_until;
    } else if (r.wrap_up_until) {
      kind = "wrap_up";
      until = r.wrap_up_until;
    }
    var local = until && serverAt ? readAt + (Date.parse(until) - Date.parse(serverAt)) : null;
    return { kind: kind, until: local };
  }
  function stateText(state, withTime) {
    var text = state.kind === "wrap_up" ? "Wrap-up" : words(state.kind);
    if (withTime && state.until !== null) { text += ": " + mmss((state.until - Date.now()) / 1000) + " left"; }
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  SN.staffState = staffState;
  SN.stateText = stateText;

  var myState = null;
  function drawPresence(who) {
    var box = $("presence");
    box.hidden = !who.responder;
    if (!who.responder) { return; }
    myState = staffState(who, who.at, Date.now());
    box.dataset.state = myState.kind;
    var onBreak = myState.kind === "break";
    $("presence-available").setAttribute("aria-pressed", String(who.presence === "available"));
    $("presence-away").setAttribute("aria-pressed", String(who.presence === "away" && !onBreak));
    $("presence-break").setAttribute("aria-pressed", String(onBreak));
    tickPresence();
  }
  function tickPresence() {
    if (!myState) { return; }
    // Available and away show on the buttons; anything else (offline, wrap-up, a break) is said.
    var plain = myState.kind === "available" || myState.kind === "away";
    $("presence-state").textContent = plain ? "" : stateText(myState, true);
  }
  function setPresence(status) {
    if (!SN.me || !SN.me.responder) { return; }
    act(api("PUT", "/v1/responders/" + encodeURIComponent(SN.me.responder) + "/presence",
      { status: status }));
  }

  // -- live notices ---------------------------------------------------------------
  function live(on) {
    $("live").dataset.state = on ? "on" : "off";
    $("live").textContent = on ? "live" : "offline";
  }
  function listen() {
    if (!token) { return; }
    streamAbort = new AbortController();
    fetch("/console/events", { headers: { Authorization: "Bearer " + token }, signal: streamAbort.signal })
      .then(function (response) {
        if (!response.ok || !response.body) { throw new Error("feed refused"); }
        live(true);
        var reader = response.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { throw new Error("feed ended"); }
            buffer += decoder.decode(chunk.value, { stream: true });
            var parts = buffer.split("\n\n");
            buffer = parts.pop();
            var any = false;
            parts.forEach(function (part) {
              var line = /^data: (.*)$/m.exec(part);
              if (!line) { return; }
              any = true;
              var n = null;
              try { n = JSON.parse(line[1]); } catch (e) { return; }
              if (SN.supervisor) { SN.supervisor.notice(n); }
            });
            if (any) { scheduleRefresh(); }
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        live(false);
        if (token) { setTimeout(function () { listen(); refresh(); }, 2000); }
      });
  }
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 100);
  }

  // -- reading and drawing ------------------------------------------------------------
  // One refresh at a time: two in flight could land out of order, and an older list would then
  // remove a card just drawn (and the reply half-written in it). A call meanwhile asks for one
  // more pass when the current one is done.
  var inflight = null;
  var again = false;
  function refresh() {
    if (inflight) {
      again = true;
      return inflight;
    }
    // Who I am is read again too: a close starts a wrap-up, a shift makes me the supervisor.
    inflight = whoami().then(read).catch(function (error) { notice(error.message); }).then(function () {
      inflight = null;
      if (again) {
        again = false;
        return refresh();
      }
    });
    return inflight;
  }
  function read() {
    var me = SN.me;
    var reads = [api("GET", "/v1/offers"), api("GET", "/console/contacts")];
    if (me.supervisor) { reads.push(api("GET", "/v1/queue"), api("GET", "/console/board")); }
    return Promise.all(reads).then(function (results) {
      SN.offers.draw(results[0]);
      if (me.supervisor) { SN.supervisor.draw(results[2], results[3]); }
      drawContacts(results[1]);  // after the board: a card's hand-over lists its responders
    }).catch(function (error) { notice(error.message); });
  }
  SN.refresh = refresh;

  function card(contact) {
    var c = { root: el("article", "contact"), meta: el("div", "meta"), log: el("ol", "conversation") };
    c.root.dataset.contact = contact.id;
    c.reply = el("textarea", "reply");
    c.reply.rows = 2;
    c.reply.setAttribute("aria-label", "Reply");
    c.reply.placeholder = "Write a reply";
    c.send = el("button", "send", "Send");
    c.answered = el("button", "answered", "Call connected");
    c.tools = SN.contactTools(contact);
    c.close = SN.closeForm(contact);
    var replyRow = el("div", "row");
    replyRow.append(c.reply, c.send, c.answered);
    if (contact.responder === SN.me.responder) {
      c.root.append(c.meta, c.log, replyRow, c.tools.root, c.close.root);
    } else {
      // The supervisor's view also lists contacts others hold: folded, so the list stays short.
      var body = el("details", "others");
      body.append(el("summary", null, "Conversation, flags and close"), c.log, replyRow, c.tools.root, c.close.root);
      c.root.append(c.meta, body);
    }
    c.send.addEventListener("click", function () {
      var body = c.reply.value.trim();
      if (!body) { return; }
      act(api("POST", "/v1/contacts/" + contact.id + "/messages", { body: body })
        .then(function () { c.reply.value = ""; }));
    });
    c.answered.addEventListener("click", function () {
      act(api("POST", "/v1/contacts/" + contact.id + "/answered"));
    });
    return c;
  }

  function drawContacts(contacts) {
    var box = $("contacts");
    var seen = {};
    var prev = null;
    contacts.forEach(function (contact) {
      seen[contact.id] = true;
      var c = cards[contact.id] || (cards[contact.id] = card(contact));
      c.meta.textContent = "";
      c.meta.append(el("span", "tag", contact.channel), el("span", "tag " + contact.priority, contact.priority));
      if (contact.language) { c.meta.append(el("span", "tag lang", contact.language)); }
      contact.flags.forEach(function (f) { c.meta.append(el("span", "tag flag", words(f))); });
      if (contact.breached) { c.meta.append(el("span", "tag breached", "breached")); }
      c.meta.append(el("span", "status", contact.status + " · waited " +
        ago((Date.parse(contact.answered_at || new Date().toISOString()) - Date.parse(contact.received_at)) / 1000)));
      if (contact.subject) { c.meta.append(el("div", "subject", contact.subject)); }
      if (SN.me.supervisor && contact.responder) { c.meta.append(el("div", null, "with " + contact.responder)); }
      c.log.textContent = "";
      conversation(contact).forEach(function (m) {
        var item = el("li", "msg " + (m.full ? "system" : m.direction));
        var who = m.full ? "SafetyNet" : m.direction === "in" ? "Person" : m.responder || "Responder";
        item.append(el("small", null, who + " · " + new Date(m.at).toLocaleTimeString()));
        item.append(document.createTextNode(m.full ? FULL : m.body));
        c.log.append(item);
      });
      c.log.scrollTop = c.log.scrollHeight;
      var voice = contact.channel === "voice";
      c.reply.hidden = c.send.hidden = voice;
      c.answered.hidden = !(voice && contact.status === "assigned");
      c.tools.update(contact);
      c.close.update(contact);
      // Keep the list's order without rebuilding cards, and move a card only when it is out of
      // place: moving a node takes the focus out of it, and the reply being typed with it.
      var want = prev ? prev.nextSibling : box.firstChild;
      if (c.root !== want) { box.insertBefore(c.root, want); }
      prev = c.root;
    });
    Object.keys(cards).forEach(function (id) {
      if (!seen[id]) { cards[id].root.remove(); delete cards[id]; }
    });
    $("contact-count").textContent = contacts.length;
    $("no-contacts").hidden = contacts.length > 0;
  }

  // The person wrote more than one contact keeps (router/transitions.py): said in the conversation
  // at the moment it happened, with what to do about it.
  var FULL = "The person went on writing, but this conversation holds no more of their messages. " +
    "Close it when you can: their next message then starts a new contact.";

  function conversation(contact) {
    var items = contact.messages.slice();
    (contact.timeline || []).forEach(function (e) {
      if (e.event === "conversation_full") { items.push({ at: e.at, full: true }); }
    });
    return items.sort(function (a, b) { return Date.parse(a.at) - Date.parse(b.at); });  // stable
  }

  function start() {
    $("signin-form").addEventListener("submit", function (event) {
      event.preventDefault();
      $("signin-error").textContent = "";
      // Signing in is a click: the moment a browser lets a page make sound and ask to notify.
      SN.alerts.enable();
      signIn($("token").value.trim());
      $("token").value = "";
    });
    $("signout").addEventListener("click", signOut);
    $("presence-available").addEventListener("click", function () { setPresence("available"); });
    $("presence-away").addEventListener("click", function () { setPresence("away"); });
    // A break (the protocol's length, e.g. after a debrief): no offers until it ends by itself.
    $("presence-break").addEventListener("click", function () {
      if (!SN.me || !SN.me.responder) { return; }
      act(api("POST", "/v1/responders/" + encodeURIComponent(SN.me.responder) + "/break", {}));
    });
    // One clock for everything that counts down or up on the page (offers, queue, presence).
    setInterval(function () {
      if (!SN.me) { return; }
      SN.offers.tick();
      tickPresence();
      if (SN.me.supervisor) { SN.supervisor.tick(); }
    }, 1000);
    // A missed notice must not leave the page stale for long; shifts change who supervises.
    setInterval(function () { if (SN.me) { refresh(); } }, 30000);
    if (token) { signIn(token); }
  }
  document.addEventListener("DOMContentLoaded", start);
}());
