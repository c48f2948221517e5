/* SafetyNet console, offers: one card per pending offer with a live countdown, and an alert
 * (a short beep and, with permission, a browser notification) when a new offer or page arrives.
 *
 * A card shows what a responder decides on: channel, priority, flags, language, how long the
 * person has waited, and an interpreter note when the protocol widened the offer for language.
 * Never the person's number, address or words. Countdowns are counted from the server's
 * `expires_in_s` at the moment the list was read, so a phone whose clock is wrong still counts
 * right.
 */
(function () {
  "use strict";
  var SN = window.SafetyNet = window.SafetyNet || {};
  var shown = {};      // offer id -> {item, clock, waited, deadline, waitedFrom}
  var alerted = {};    // offer ids already announced (a refetch must not beep again)

  // -- alerts: sound and notification ---------------------------------------------------
  var audio = null;
  var alerts = SN.alerts = { count: 0 };
  // Browsers allow sound and ask for notification permission only after a click: sign-in or
  // the "Turn on alerts" button are such clicks.
  alerts.enable = function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx && !audio) { try { audio = new Ctx(); } catch (e) { audio = null; } }
    if (audio && audio.state === "suspended") { audio.resume(); }
    if (window.Notification && Notification.permission === "default") {
      Notification.requestPermission().then(alerts.draw, alerts.draw);
    }
    alerts.draw();
  };
  alerts.sound = function () { return audio ? audio.state : "off"; };
  alerts.draw = function () {
    var soundOk = audio !== null && audio.state === "running";
    var notifyOk = !window.Notification || Notification.permission !== "default";
    SN.$("alerts-bar").hidden = (soundOk && notifyOk) || !SN.me;
  };
  function beep() {
    if (!audio || audio.state !== "running") { return; }
    // Two short tones, built here: no sound file to fetch, nothing for the CSP to allow.
    [0, 0.22].forEach(function (offset) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      var t = audio.currentTime + offset;
      osc.type = "sine";
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.2);
    });
  }
  // `text` is built from ids, channels and priorities only: a notification can show on a locked
  // screen, so it carries no personal data.
  alerts.ring = function (title, text, tag) {
    alerts.count += 1;
    document.body.dataset.alerts = String(alerts.count);
    beep();
    if (window.Notification && Notification.permission === "granted" && !document.hasFocus()) {
      try { new Notification(title, { body: text, tag: tag }); } catch (e) { /* some phones allow only via a worker */ }
    }
  };

  // -- cards --------------------------------------------------------------------------
  function summary(contact) {
    var bits = [contact.channel, contact.priority];
    if (contact.language) { bits.push(contact.language); }
    (contact.flags || []).forEach(function (f) { bits.push(SN.words(f)); });
    return bits.join(" · ");
  }

  function build(offer) {
    var el = SN.el;
    var item = el("li", "offer");
    item.dataset.offer = offer.id;
    var meta = el("div", "meta");
    var tags = el("div", "tags");
    var contact = offer.contact || { channel: offer.channel, priority: offer.priority, flags: [] };
    tags.append(el("span", "tag", contact.channel), el("span", "tag " + contact.priority, contact.priority));
    if (contact.language) { tags.append(el("span", "tag lang", contact.language)); }
    (contact.flags || []).forEach(function (f) { tags.append(el("span", "tag flag", SN.words(f))); });
    if (contact.breached) { tags.append(el("span", "tag breached", "breached")); }
    var times = el("div", "times");
    var waited = el("span", "waited");
    var clock = el("span", "countdown");
    clock.setAttribute("role", "timer");
    times.append(waited, clock);
    meta.append(tags, times);
    // The protocol's words for this offer (not the person's): how to reach an interpreter when
    // language no longer limits the offer, the opening to use on a callback.
    var interpreter = offer.interpreter || contact.interpreter;
    if (interpreter) { meta.append(el("div", "interpreter", "Interpreter: " + interpreter)); }
    if (offer.opening) { meta.append(el("div", "opening", "Open with: " + offer.opening)); }
    var accept = el("button", "accept", "Accept");
    var pass = el("button", "pass secondary", "Pass");
    accept.addEventListener("click", function () { SN.act(SN.api("POST", "/v1/offers/" + offer.id + "/accept")); });
    pass.addEventListener("click", function () { SN.act(SN.api("POST", "/v1/offers/" + offer.id + "/decline")); });
    var buttons = el("div", "buttons");
    buttons.append(accept, pass);
    item.append(meta, buttons);
    return { item: item, clock: clock, waited: waited };
  }

  function tickOne(o) {
    var left = (o.deadline - Date.now()) / 1000;
    o.clock.textContent = left > 0 ? "passes on in " + SN.mmss(left) : "passing on…";
    o.item.classList.toggle("urgent", left <= 10);
    if (o.waitedFrom !== null) { o.waited.textContent = "waiting " + SN.ago((Date.now() - o.waitedFrom) / 1000); }
  }

  SN.offers = {
    draws: 0,  // how often the list was read and drawn (each re-anchors every countdown)
    draw: function (offers) {
      SN.offers.draws += 1;
      var list = SN.$("offers");
      var seen = {};
      var prev = null;
      var now = Date.now();
      offers.forEach(function (offer) {
        seen[offer.id] = true;
        var o = shown[offer.id] || (shown[offer.id] = build(offer));
        // Re-anchored at every read: the server's clock decides how long is left.
        var left = typeof offer.expires_in_s === "number" ? offer.expires_in_s : -SN.since(offer.expires_at);
        o.deadline = now + left * 1000;
        o.waitedFrom = offer.contact ? now - offer.contact.waiting_s * 1000 : null;
        tickOne(o);
        var want = prev ? prev.nextSibling : list.firstChild;
        if (o.item !== want) { list.insertBefore(o.item, want); }  // moving a node drops its focus
        prev = o.item;
        if (!alerted[offer.id]) {
          alerted[offer.id] = true;
          alerts.ring("New offer", summary(offer.contact || offer), "offer-" + offer.id);
        }
      });
      Object.keys(shown).forEach(function (id) {
        if (!seen[id]) { shown[id].item.remove(); delete shown[id]; }
      });
      SN.$("offer-count").textContent = offers.length;
      SN.$("no-offers").hidden = offers.length > 0;
    },
    tick: function () { Object.keys(shown).forEach(function (id) { tickOne(shown[id]); }); }
  };

  document.addEventListener("DOMContentLoaded", function () {
    SN.$("alerts-on").addEventListener("click", alerts.enable);
    alerts.draw();
  });
}());
