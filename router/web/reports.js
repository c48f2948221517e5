/* SafetyNet manager's page: pick a period, fetch the compliance report, show the six standards
 * with their evidence, the figures, the charts and the breaches.
 *
 * One request per period: the charts draw from the report's per-day figures (`daily`), never
 * from the period's contacts (a year is 200,000 of them). Long lists come a page at a time: the
 * report holds the first page of breaches and of each standard's evidence, "Show more" asks
 * /v1/reports/breaches or /v1/reports/evidence for the next (limit/after). A contact's facts
 * are fetched when it is opened (/v1/reports/contacts?contact_id=).
 *
 * The token lives in sessionStorage, as in the console: it survives a reload of this tab, not
 * closing it, and (unlike a cookie) the browser never attaches it to a request by itself; the
 * CSV is fetched with it and handed to the browser as a file. The period is turned into instants
 * by the server (/reports/period), in the hotline's time zone at the service's clock.
 * Whatever the server leaves out is shown as "not available", never guessed; all text from the
 * network is set with textContent, never parsed as HTML.
 */
(function () {
  "use strict";
  var KEY = "safetynet.reports.token";
  var token = sessionStorage.getItem(KEY);
  var ctx = null;          // the answer of /reports/period: window, zone, target
  var report = null;       // /v1/reports/compliance
  var breaches = [];       // the breaches shown so far (the report's first page, then more)
  var breachesNext = null; // the cursor of the next page of breaches
  var byId = {};           // contact id -> its facts row, once opened
  var PAGE = 50;
  var generation = 0;      // answers to a superseded request are dropped
  var P = window.SafetyNetParts;
  var el = P.el, clear = P.clear, has = P.has, duration = P.duration;
  function when(iso, minutes) { return P.when(iso, ctx.timezone, minutes); }
  function $(id) { return document.getElementById(id); }
  function api(path) {
    return fetch(path, { headers: { Authorization: "Bearer " + token } }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (ignored) { data = null; }
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }
  function message(answer) {
    return answer.data && answer.data.error ? answer.data.error.message : "the server answered " + answer.status;
  }

  // -- signing in and out ------------------------------------------------------
  function showSignin(text) {
    token = null;
    sessionStorage.removeItem(KEY);
    $("signin").hidden = false;
    $("app").hidden = true;
    $("signout").hidden = true;
    $("who").textContent = "";
    $("signin-error").textContent = text || "";
  }

  // -- the period --------------------------------------------------------------
  function periodQuery() {
    var q = "period=" + encodeURIComponent($("period").value);
    if ($("period").value === "custom") {
      q += "&from=" + encodeURIComponent($("from-day").value) + "&to=" + encodeURIComponent($("to-day").value);
    }
    return q;
  }
  function windowQuery(withChannel) {
    var q = "from=" + encodeURIComponent(ctx.from) + "&to=" + encodeURIComponent(ctx.to);
    if (withChannel && $("channel").value) { q += "&channel=" + encodeURIComponent($("channel").value); }
    return q;
  }
  function showCustom() {
    var custom = $("period").value === "custom";
    Array.prototype.forEach.call(document.querySelectorAll(".field.custom"), function (f) { f.hidden = !custom; });
  }
  function fromLocation() {
    var q = new URLSearchParams(window.location.search);
    if (q.get("period")) { $("period").value = q.get("period"); }
    if (q.get("from")) { $("from-day").value = q.get("from"); }
    if (q.get("to")) { $("to-day").value = q.get("to"); }
    if (q.get("channel") !== null) { $("channel").dataset.wanted = q.get("channel"); }
    showCustom();
  }
  function remember() {
    var q = periodQuery() + ($("channel").value ? "&channel=" + encodeURIComponent($("channel").value) : "");
    window.history.replaceState(null, "", "/reports?" + q);
  }
  function fillChannels(channels) {
    var select = $("channel");
    if (select.options.length > 1) { return; }
    channels.forEach(function (c) { select.appendChild(new Option(c, c)); });
    if (select.dataset.wanted) { select.value = select.dataset.wanted; }
  }

  // -- loading -----------------------------------------------------------------
  function load() {
    var mine = ++generation;
    $("notice").textContent = "";
    $("status").textContent = "Loading\u2026";
    return api("/reports/period?" + periodQuery()).then(function (answer) {
      if (mine !== generation) { return null; }
      if (answer.status === 401) { showSignin("That token was not accepted."); return null; }
      if (answer.status === 403) { showSignin(message(answer)); return null; }
      if (!answer.ok) { $("status").textContent = ""; $("notice").textContent = message(answer); return null; }
      ctx = answer.data;
      sessionStorage.setItem(KEY, token);
      $("signin").hidden = true;
      $("app").hidden = false;
      $("signout").hidden = false;
      $("who").textContent = ctx.person ? ctx.person + " \u00b7 " + ctx.role : ctx.role;
      fillChannels(ctx.channels || []);
      remember();
      return api("/v1/reports/compliance?" + windowQuery(true)).then(function (answer) {
        if (mine !== generation) { return; }
        show(answer);
      });
    }).catch(function (error) {
      if (mine !== generation) { return; }
      $("status").textContent = "";
      $("notice").textContent = "Could not reach SafetyNet: " + error.message;
    });
  }

  function show(compliance) {
    var channel = $("channel").value;
    $("title").textContent = "Compliance report: " + ctx.label;
    $("window").textContent = when(ctx.from, true) + " to " + when(ctx.to, true) + " (" + ctx.timezone + ") \u00b7 " +
      (channel ? channel + " only" : "all channels") + " \u00b7 answer within " + duration(ctx.target_s);
    $("made").textContent = "Made " + when(ctx.now, true) + " from SafetyNet's records.";
    $("csv").href = "/v1/reports/compliance.csv?" + windowQuery(true);
    if (!compliance.ok) {
      report = null;
      $("notice").textContent = "The compliance report is not available: " + message(compliance);
    } else {
      report = compliance.data;
    }
    byId = {};
    moreEvidence.state = {};
    breaches = report && Array.isArray(report.breaches) ? report.breaches.slice() : [];
    breachesNext = report ? report.breaches_next || null : null;
    var missing = [];
    if (report && !has(report, "standards")) { missing.push("the standards' ratings"); }
    if (report && !has(report, "daily")) { missing.push("the daily figures"); }
    $("status").textContent = missing.length ? "Not available from this server: " + missing.join(", ") + "." : "";
    P.renderStandards($("standards"), report, byId, ctx.timezone, moreEvidence);
    renderFigures();
    renderBreaches();
    window.SafetyNetCharts.draw({ report: report, ctx: ctx, duration: duration });
  }

  // -- figures and breaches ----------------------------------------------------
  function figure(box, key, label, value, note) {
    var div = el("div", "figure");
    div.dataset.key = key;
    div.appendChild(el("dt", null, label));
    var dd = el("dd", value === undefined ? "na" : null, value === undefined ? "not available" : value);
    if (note) { dd.appendChild(el("small", null, " " + note)); }
    div.appendChild(dd);
    box.appendChild(div);
  }
  function count(key) {
    if (!report || !has(report, key)) { return undefined; }
    return report[key] === null ? "none" : String(report[key]);
  }
  function renderFigures() {
    var box = $("figures");
    clear(box);
    var tta = report && has(report, "time_to_answer_s") ? report.time_to_answer_s : null;
    var cov = report && has(report, "coverage") ? report.coverage : null;
    var pct = report && has(report, "within_target_pct") ?
      (report.within_target_pct === null ? "none" : report.within_target_pct + "%") : undefined;
    figure(box, "contacts", "Contacts", count("contacts"));
    figure(box, "answered", "Answered", count("answered"));
    figure(box, "within", "Answered within the target", count("answered_within_target"));
    figure(box, "pct", "Within the target", pct, pct === "none" ? "(no contact decided yet)" : "");
    figure(box, "pending", "Pending (open, not yet due)", count("pending"));
    figure(box, "breaches", "Breaches", breachTotal());
    figure(box, "callbacks", "Callback tasks", count("callback_tasks"));
    figure(box, "follow_ups", "Follow-ups", count("follow_ups"));
    ["p50", "p90", "p99", "max"].forEach(function (p) {
      figure(box, "tta-" + p, "Time to answer " + (p === "max" ? "(longest)" : p),
        tta && tta[p] !== undefined ? duration(tta[p]) : undefined);
    });
    figure(box, "primary-gap", "Primary on-call gaps", cov && has(cov, "primary_gap_s") ? duration(cov.primary_gap_s) : undefined);
    figure(box, "backup-gap", "Backup on-call gaps", cov && has(cov, "backup_gap_s") ? duration(cov.backup_gap_s) : undefined);
    figure(box, "coverage", "Coverage rating", cov && cov.rating ? (P.RATINGS[cov.rating] || ["", cov.rating])[1] : undefined);
  }
  function breachTotal() {
    if (!report || !Array.isArray(report.breaches)) { return undefined; }
    return String(has(report, "breaches_total") ? report.breaches_total : report.breaches.length);
  }
  function breachRow(b) {
    var tr = el("tr");
    tr.dataset.contact = b.contact_id;
    var td = el("td");
    td.appendChild(P.contactOrText(String(b.contact_id), byId));
    tr.appendChild(td);
    tr.appendChild(el("td", null, b.channel || "not available"));
    tr.appendChild(el("td", null, b.priority || "not available"));
    tr.appendChild(el("td", null, b.received_at ? when(b.received_at) : "not available"));
    tr.appendChild(el("td", null, b.waited_s !== undefined ? duration(b.waited_s) : "not available"));
    return tr;
  }
  function showMoreBreaches() {
    var total = Number(breachTotal() || 0);
    var button = $("breaches-more");
    button.hidden = !breachesNext;
    button.disabled = false;
    button.textContent = "Show more breaches (" + Math.max(0, total - breaches.length) + " more)";
  }
  function renderBreaches() {
    var body = $("breaches").tBodies[0];
    clear(body);
    var listed = report && Array.isArray(report.breaches);
    $("breach-count").textContent = listed ? breachTotal() : "?";
    $("no-breaches").textContent = listed ?
      "No contact waited past the target in this period." : "Breaches: not available.";
    $("no-breaches").hidden = breaches.length > 0;
    $("breaches").hidden = breaches.length === 0;
    breaches.forEach(function (b) { body.appendChild(breachRow(b)); });
    showMoreBreaches();
  }
  // The next page of breaches after the last one shown (GET /v1/reports/breaches, limit/after).
  function moreBreaches() {
    var mine = generation, button = $("breaches-more");
    button.disabled = true;
    button.textContent = "Loading\u2026";
    api("/v1/reports/breaches?" + windowQuery(true) + "&limit=" + PAGE + "&after=" + encodeURIComponent(breachesNext))
      .then(function (answer) {
        if (mine !== generation) { return; }
        if (!answer.ok || !answer.data || !Array.isArray(answer.data.items)) {
          showMoreBreaches();
          $("notice").textContent = "Could not load more breaches: " + message(answer);
          return;
        }
        var body = $("breaches").tBodies[0];
        answer.data.items.forEach(function (b) { breaches.push(b); body.appendChild(breachRow(b)); });
        breachesNext = answer.data.next || null;
        showMoreBreaches();
      });
  }
  // The next page of one standard's evidence (GET /v1/reports/evidence?standard=, limit/after).
  // The report's own first page has no cursor, so the first ask starts at the beginning, one
  // page longer than what is shown; items already shown are not shown twice.
  function moreEvidence(number, shown, add, done) {
    var mine = generation, state = moreEvidence.state[number] || { next: null };
    moreEvidence.state[number] = state;
    var limit = state.next ? PAGE : Math.min(1000, Object.keys(shown).length + PAGE);
    var q = "/v1/reports/evidence?standard=" + encodeURIComponent(number) + "&" + windowQuery(true) + "&limit=" + limit +
      (state.next ? "&after=" + encodeURIComponent(state.next) : "");
    api(q).then(function (answer) {
      if (mine !== generation) { return; }
      if (!answer.ok || !answer.data || !Array.isArray(answer.data.items)) {
        done(0, "Could not load more: " + message(answer));
        return;
      }
      var added = 0;
      answer.data.items.forEach(function (item) {
        var id = item && item.contact_id;
        if (!id || !shown[id]) { add(item); added += 1; }
        if (id) { shown[id] = true; }
      });
      state.next = answer.data.next || null;
      if (!added && state.next) { moreEvidence(number, shown, add, done); return; }
      done(state.next ? answer.data.total : null, "");
    });
  }
  moreEvidence.state = {};

  function openContact(id) {
    var breach = breaches.filter(function (b) { return b.contact_id === id; })[0];
    $("contact-h").textContent = "Contact " + id;
    P.fillContact($("contact-facts"), byId[id], breach, ctx.timezone, !byId[id]);
    $("contact").showModal();
    if (byId[id]) { return; }
    var mine = generation;
    api("/v1/reports/contacts?" + windowQuery(false) + "&contact_id=" + encodeURIComponent(id)).then(function (answer) {
      if (mine !== generation || $("contact-h").textContent !== "Contact " + id) { return; }
      var row = answer.ok && answer.data && Array.isArray(answer.data.rows) ? answer.data.rows[0] : null;
      if (row) { byId[id] = row; }
      P.fillContact($("contact-facts"), row || null, breach, ctx.timezone, false);
    });
  }

  // -- events ------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.contact-link") : null;
    if (!link) { return; }
    event.preventDefault();
    openContact(link.dataset.contact);
  });
  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    token = $("token").value.trim();
    $("token").value = "";
    if (token) { load(); }
  });
  $("signout").addEventListener("click", function () {
    window.SafetyNetCharts.destroy();
    showSignin("");
  });
  $("period").addEventListener("change", showCustom);
  $("period-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if ($("period").value === "custom") {
      var first = $("from-day").value, last = $("to-day").value;
      if (!first || !last) { $("notice").textContent = "Pick the first and the last day of the period."; return; }
      if (last < first) { $("notice").textContent = "The last day is before the first: pick a last day on or after it."; return; }
    }
    load();
  });
  $("print").addEventListener("click", function () { window.print(); });
  $("breaches-more").addEventListener("click", moreBreaches);
  $("csv").addEventListener("click", function (event) {
    event.preventDefault();
    $("notice").textContent = "";
    fetch($("csv").getAttribute("href"), { headers: { Authorization: "Bearer " + token } }).then(function (response) {
      if (response.status === 404) { throw new Error("the CSV download is not available on this server yet"); }
      if (!response.ok) { throw new Error("the server answered " + response.status); }
      return response.blob();
    }).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "safetynet-compliance-" + ctx.first_day + "-to-" + ctx.last_day +
        ($("channel").value ? "-" + $("channel").value : "") + ".csv";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    }).catch(function (error) {
      $("notice").textContent = "Download failed: " + error.message + ".";
    });
  });
  fromLocation();
  if (token) { load(); } else { showSignin(""); }
}());
