/* SafetyNet responder console: offers, open contacts, replies, closing and (supervisors) the queue.
 *
 * Everything comes from the JSON API with the responder's bearer token; live notices arrive on
 * /console/events and only trigger a refetch. The token is kept in sessionStorage: it survives a
 * reload of this tab but not closing it, is never shared with other tabs, and (unlike a cookie)
 * is never attached to requests by the browser, so other sites cannot act with it.
 * All text from the network is set with textContent, never parsed as HTML.
 */
(function () {
  "use strict";
  var KEY = "safetynet.console.token";
  var token = sessionStorage.getItem(KEY);
  var me = null;
  var dispositions = [];
  var requires = {};
  var cards = {};          // contact id -> card elements, kept so a half-written reply survives
  var queue = [];
  var queueAt = 0;
  var refreshTimer = null;
  var streamAbort = null;

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
  function since(iso) { return (Date.now() - Date.parse(iso)) / 1000; }

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
          throw error;
        }
        return data;
      });
    });
  }
  function notice(message) { $("notice").textContent = message || ""; }

  // -- signing in and out ------------------------------------------------------
  function signIn(candidate) {
    token = candidate;
    return api("GET", "/console/whoami").then(function (who) {
      me = who;
      sessionStorage.setItem(KEY, token);
      $("signin").hidden = true;
      $("app").hidden = false;
      $("signout").hidden = false;
      $("who").textContent = (who.responder || who.role) + (who.supervisor ? " · supervisor" : "");
      $("queue-section").hidden = !who.supervisor;
      return api("GET", "/console/protocol");
    }).then(function (proto) {
      dispositions = proto.dispositions;
      requires = proto.requires || {};
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
            if (parts.some(function (p) { return /^data:/m.test(p); })) { scheduleRefresh(); }
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
  function refresh() {
    var reads = [api("GET", "/v1/offers"), api("GET", "/console/contacts")];
    if (me.supervisor) { reads.push(api("GET", "/v1/queue")); }
    return Promise.all(reads).then(function (results) {
      drawOffers(results[0]);
      drawContacts(results[1]);
      if (me.supervisor) { queue = results[2]; queueAt = Date.now(); drawQueue(); }
    }).catch(function (error) { notice(error.message); });
  }

  function act(promise) {
    notice("");
    return promise.then(refresh).catch(function (error) { notice(error.message); refresh(); });
  }

  function drawOffers(offers) {
    var list = $("offers");
    list.textContent = "";
    offers.forEach(function (offer) {
      var item = el("li", "offer");
      item.dataset.offer = offer.id;
      var meta = el("div", "meta");
      meta.append(el("span", "tag", offer.channel), el("span", "tag " + offer.priority, offer.priority),
        el("span", null, " offered " + ago(since(offer.created_at)) + " ago, passes on in " +
          ago(-since(offer.expires_at))));
      var accept = el("button", "accept", "Accept");
      var pass = el("button", "pass secondary", "Pass");
      accept.addEventListener("click", function () { act(api("POST", "/v1/offers/" + offer.id + "/accept")); });
      pass.addEventListener("click", function () { act(api("POST", "/v1/offers/" + offer.id + "/decline")); });
      item.append(meta, accept, pass);
      list.append(item);
    });
    $("offer-count").textContent = offers.length;
    $("no-offers").hidden = offers.length > 0;
  }

  function card(contact) {
    var c = { root: el("article", "contact"), meta: el("div", "meta"), log: el("ol", "conversation") };
    c.root.dataset.contact = contact.id;
    c.reply = el("textarea");
    c.reply.rows = 2;
    c.reply.setAttribute("aria-label", "Reply");
    c.reply.placeholder = "Write a reply";
    c.send = el("button", "send", "Send");
    c.answered = el("button", "answered", "Call connected");
    c.disposition = el("select", "disposition");
    c.disposition.setAttribute("aria-label", "Disposition");
    dispositions.forEach(function (d) { c.disposition.append(el("option", null, d)); });
    c.notes = el("input", "notes");
    c.notes.placeholder = "Notes (optional)";
    // Shown when the chosen disposition must record more (a safety plan, a referral partner).
    c.details = el("input", "details");
    c.details.setAttribute("aria-label", "Required details");
    c.details.hidden = true;
    function needs() { return requires[c.disposition.value] || []; }
    function showDetails() {
      var n = needs().filter(function (f) { return f === "safety_plan" || f === "referral"; });
      c.details.hidden = n.length === 0;
      c.details.placeholder = n.indexOf("referral") >= 0 ? "Referred to (partner)" : "Safety plan made";
    }
    c.disposition.addEventListener("change", showDetails);
    c.close = el("button", "close danger", "Close");
    var replyRow = el("div", "row");
    replyRow.append(c.reply, c.send, c.answered);
    var closeRow = el("div", "row");
    closeRow.append(c.disposition, c.details, c.notes, c.close);
    showDetails();
    c.root.append(c.meta, c.log, replyRow, closeRow);
    c.send.addEventListener("click", function () {
      var body = c.reply.value.trim();
      if (!body) { return; }
      act(api("POST", "/v1/contacts/" + contact.id + "/messages", { body: body })
        .then(function () { c.reply.value = ""; }));
    });
    c.answered.addEventListener("click", function () {
      act(api("POST", "/v1/contacts/" + contact.id + "/answered"));
    });
    c.close.addEventListener("click", function () {
      var body = { disposition: c.disposition.value };
      if (c.notes.value.trim()) { body.notes = c.notes.value.trim(); }
      var detail = c.details.value.trim();
      if (detail && needs().indexOf("safety_plan") >= 0) { body.safety_plan = detail; }
      if (detail && needs().indexOf("referral") >= 0) { body.referral = { partner: detail }; }
      act(api("POST", "/v1/contacts/" + contact.id + "/close", body));
    });
    return c;
  }

  function drawContacts(contacts) {
    var box = $("contacts");
    var seen = {};
    contacts.forEach(function (contact) {
      seen[contact.id] = true;
      var c = cards[contact.id] || (cards[contact.id] = card(contact));
      c.meta.textContent = "";
      c.meta.append(el("span", "tag", contact.channel), el("span", "tag " + contact.priority, contact.priority));
      contact.flags.forEach(function (f) { c.meta.append(el("span", "tag high", f)); });
      if (contact.breached) { c.meta.append(el("span", "tag breached", "breached")); }
      c.meta.append(el("span", "status", contact.status + " · waited " +
        ago((Date.parse(contact.answered_at || new Date().toISOString()) - Date.parse(contact.received_at)) / 1000)));
      if (contact.subject) { c.meta.append(el("div", "subject", contact.subject)); }
      if (me.supervisor && contact.responder) { c.meta.append(el("div", null, "with " + contact.responder)); }
      c.log.textContent = "";
      contact.messages.forEach(function (m) {
        var item = el("li", "msg " + m.direction);
        item.append(el("small", null, (m.direction === "in" ? "Person" : m.responder || "Responder") +
          " · " + new Date(m.at).toLocaleTimeString()));
        item.append(document.createTextNode(m.body));
        c.log.append(item);
      });
      c.log.scrollTop = c.log.scrollHeight;
      var voice = contact.channel === "voice";
      c.reply.hidden = c.send.hidden = voice;
      c.answered.hidden = !(voice && contact.status === "assigned");
      box.append(c.root);  // re-appending keeps the order of the list without rebuilding cards
    });
    Object.keys(cards).forEach(function (id) {
      if (!seen[id]) { cards[id].root.remove(); delete cards[id]; }
    });
    $("contact-count").textContent = contacts.length;
    $("no-contacts").hidden = contacts.length > 0;
  }

  function drawQueue() {
    var body = $("queue").tBodies[0];
    body.textContent = "";
    var extra = (Date.now() - queueAt) / 1000;
    queue.forEach(function (entry) {
      var row = el("tr");
      row.dataset.contact = entry.id;
      row.append(el("td", null, entry.id), el("td", null, entry.channel),
        el("td", null, entry.priority), el("td", null, entry.status),
        el("td", "waiting", ago(entry.waiting_s + extra)),
        el("td", null, entry.escalation_level + (entry.breached ? " · breached" : "")));
      body.append(row);
    });
    $("queue-count").textContent = queue.length;
    $("no-queue").hidden = queue.length > 0;
  }

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    $("signin-error").textContent = "";
    signIn($("token").value.trim());
    $("token").value = "";
  });
  $("signout").addEventListener("click", signOut);
  setInterval(function () { if (me && me.supervisor) { drawQueue(); } }, 1000);
  // A missed notice must not leave the page stale for long.
  setInterval(function () { if (me) { refresh(); } }, 30000);
  if (token) { signIn(token); }
}());
