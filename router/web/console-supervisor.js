/* SafetyNet console, the supervisor's view (managers, admins, the supervisor on call): the queue
 * with waiting times, escalations and breaches as they happen, who is on call and how they stand
 * (available, away, wrap-up, break), and the pages sent to this console.
 *
 * The board is read from /console/board and the queue from /v1/queue; live notices redraw them
 * and an escalation, breach or page appears at once, before the refetch lands.
 */
(function () {
  "use strict";
  var SN = window.SafetyNet = window.SafetyNet || {};
  var queue = [];
  var queueAt = 0;
  var live = [];         // alerts heard on the feed since the last board read
  var board = null;
  var ROLES = ["primary", "backup", "supervisor"];
  var rung = {};         // contacts whose breach already rang (managers hear each once)

  function when(iso) { return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  var boardAt = 0;       // when the board was read, by this browser's clock
  function state(r) { return SN.staffState(r, board.at, boardAt); }
  function badge(r) {
    var s = state(r);
    return SN.el("span", "badge " + s.kind, SN.stateText(s, true));
  }

  function drawOnCall() {
    var box = SN.$("oncall");
    box.textContent = "";
    var byId = {};
    board.responders.forEach(function (r) { byId[r.id] = r; });
    ROLES.forEach(function (role) {
      var row = SN.el("div", "oncall-row");
      row.dataset.role = role;
      row.append(SN.el("span", "role", role));
      var ids = board.oncall[role] || [];
      if (!ids.length) { row.append(SN.el("span", "nobody", "nobody")); }
      ids.forEach(function (id) {
        var r = byId[id] || { id: id, name: id, presence: "offline", load: 0 };
        var who = SN.el("span", "person");
        who.dataset.responder = id;
        who.append(SN.el("span", "name", r.name), badge(r));
        if (r.load) { who.append(SN.el("span", "load", r.load + " open")); }
        row.append(who);
      });
      box.append(row);
    });
    var away = board.responders.filter(function (r) { return state(r).kind !== "available"; });
    var list = SN.$("away");
    list.textContent = "";
    away.forEach(function (r) {
      var item = SN.el("li", "person");
      item.dataset.responder = r.id;
      item.append(SN.el("span", "name", r.name), badge(r));
      if (r.on_call.length) { item.append(SN.el("span", "role", r.on_call.join(", "))); }
      list.append(item);
    });
    SN.$("no-away").hidden = away.length > 0;
  }

  function alertItem(a) {
    var item = SN.el("li", "alert " + a.event);
    item.dataset.contact = a.contact_id;
    item.dataset.event = a.event;
    var head = a.event === "breached" ? "Breach" : a.event === "escalated" ? "Escalation " + (a.level || "") : a.event;
    item.append(SN.el("strong", null, head), SN.el("span", "tag", a.channel), SN.el("span", "tag " + a.priority, a.priority));
    var waited = typeof a.waited_s === "number" ? " · waited " + SN.ago(a.waited_s) : "";
    item.append(SN.el("span", "when", when(a.at) + waited), SN.el("small", "id", a.contact_id));
    return item;
  }
  function drawAlerts() {
    var list = SN.$("alerts");
    list.textContent = "";
    var seen = {};
    var all = live.concat(board ? board.alerts : []).filter(function (a) {
      var key = a.contact_id + a.event + (a.level || "");
      if (seen[key]) { return false; }
      seen[key] = true;
      return true;
    });
    all.slice(0, 30).forEach(function (a) { list.append(alertItem(a)); });
    SN.$("no-alerts").hidden = all.length > 0;
  }

  function drawPages() {
    var list = SN.$("pages");
    list.textContent = "";
    var pages = board ? board.pages : [];
    var names = {};
    (board ? board.responders : []).forEach(function (r) { names[r.id] = r.name; });
    pages.slice(0, 12).forEach(function (p) {
      var item = SN.el("li", "page");
      item.dataset.contact = p.contact_id;
      item.append(SN.el("strong", null, SN.words(p.reason)), SN.el("span", "tag", p.channel),
        SN.el("span", "tag " + p.priority, p.priority),
        SN.el("span", "when", when(p.at) + " · " + (p.responder === SN.me.responder ? "you" : names[p.responder] || p.responder) +
          (p.console ? " · console" : " · by " + p.via.join(", "))));
      list.append(item);
    });
    SN.$("no-pages").hidden = pages.length > 0;
  }

  function drawQueue() {
    var body = SN.$("queue").tBodies[0];
    body.textContent = "";
    var extra = (Date.now() - queueAt) / 1000;
    queue.forEach(function (entry) {
      var row = SN.el("tr", entry.breached ? "breached" : "");
      row.dataset.contact = entry.id;
      row.append(SN.el("td", null, entry.id), SN.el("td", null, entry.channel),
        SN.el("td", null, entry.priority), SN.el("td", null, entry.status),
        SN.el("td", "waiting", SN.ago(entry.waiting_s + extra)),
        SN.el("td", "level", entry.escalation_level + (entry.breached ? " · breached" : "")));
      body.append(row);
    });
    SN.$("queue-count").textContent = queue.length;
    SN.$("no-queue").hidden = queue.length > 0;
  }

  document.addEventListener("DOMContentLoaded", function () {
    SN.$("paged").addEventListener("click", function () { SN.$("paged").hidden = true; });
  });

  SN.supervisor = {
    draw: function (q, b) {
      queue = q;
      queueAt = Date.now();
      board = b;
      boardAt = Date.now();
      live = [];
      drawQueue();
      drawOnCall();
      drawAlerts();
      drawPages();
    },
    tick: function () { if (board) { drawQueue(); drawOnCall(); } },
    board: function () { return board; },
    // A notice from the feed: escalations, breaches and pages show at once.
    notice: function (n) {
      if (n.event === "escalated" || n.event === "breached") {
        live.unshift(n);
        if (SN.me.supervisor) { drawAlerts(); }
      }
      // A page rings on the paged person's console (pages sent by phone only are listed, not
      // rung); a manager without a responder identity hears each breach once.
      var mine = SN.me.responder ? n.responder === SN.me.responder : n.reason === "breach" && !rung[n.contact_id];
      if (n.event === "page" && n.console && mine) {
        rung[n.contact_id] = true;
        if (SN.alerts) {
          SN.alerts.ring("Page: " + SN.words(n.reason), n.channel + " · " + n.priority, "page-" + n.contact_id);
        }
        // Without the board (a responder paged as backup), the page is said at the top.
        if (!SN.me.supervisor) {
          SN.$("paged").hidden = false;
          SN.$("paged").textContent = "You were paged (" + SN.words(n.reason) + ") at " + when(n.at) +
            ": a " + n.priority + " " + n.channel + " contact is waiting. (Tap to dismiss.)";
        }
      }
    }
  };
}());
