/* SafetyNet manager's page: the parts that need no state of the page — formatting, the six
 * standards' cards with their evidence, and one contact's facts. reports.js composes them.
 * All text from the network is set with textContent, never parsed as HTML.
 */
(function () {
  "use strict";
  var STANDARDS = [
    ["27", "Response to inquiries"], ["28", "Operations protocol"], ["29", "Timely response"],
    ["30", "Mandatory reporting"], ["31", "Supervision and support"], ["32", "Hotline coverage"]
  ];
  // The word carries the meaning; the colour (in CSS) and the mark only repeat it.
  var RATINGS = {
    exceeds: ["\u2605", "Exceeds"], meets: ["\u2713", "Meets"], does_not_meet: ["\u2717", "Does not meet"],
    not_rated: ["?", "Not rated"], unavailable: ["\u2013", "Not available"]
  };
  var FACTS = [
    ["kind", "Kind"], ["serves", "Serves contact"], ["channel", "Channel"], ["priority", "Priority"],
    ["flags", "Flags"], ["language", "Language"], ["received_at", "Received"],
    ["first_ack_at", "First acknowledgement"], ["offered_at", "Offered"], ["accepted_at", "Accepted"],
    ["answered_at", "Answered"], ["closed_at", "Closed"], ["outcome", "Outcome"],
    ["time_to_answer_s", "Time to answer"], ["within_target", "Within the target"], ["breached", "Breached"],
    ["responder", "Answered by"], ["disposition", "Disposition"], ["referral_partner", "Referral partner"],
    ["roster_version", "Roster version"], ["protocol_version", "Protocol version"]
  ];
  var CONTACT_ID = /^c_[0-9a-z]{4,}$/i;
  var INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function has(obj, key) { return obj !== null && typeof obj === "object" && obj[key] !== undefined; }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return "none"; }
    var s = Math.round(Number(seconds));
    if (s < 60) { return s + " s"; }
    var m = Math.floor(s / 60);
    if (m < 60) { return m + " min" + (s % 60 ? " " + (s % 60) + " s" : ""); }
    var h = Math.floor(m / 60);
    return h < 48 ? h + " h " + (m % 60) + " min" : Math.floor(h / 24) + " d " + (h % 24) + " h";
  }
  function when(iso, zone, minutes) {
    if (!iso) { return "none"; }
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return String(iso); }
    var opts = { timeZone: zone, day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hour12: false };
    if (!minutes) { opts.second = "2-digit"; }
    return new Intl.DateTimeFormat("en-GB", opts).format(d);
  }

  // -- standards ---------------------------------------------------------------
  function evidenceItem(item, byId, zone) {
    var li = el("li");
    if (typeof item === "string" || typeof item === "number") {
      li.appendChild(contactOrText(String(item), byId));
      return li;
    }
    if (item === null || typeof item !== "object") { li.textContent = String(item); return li; }
    Object.keys(item).forEach(function (key, i) {
      if (i) { li.appendChild(document.createTextNode(" \u00b7 ")); }
      li.appendChild(el("span", "key", key.replace(/_s$/, "").replace(/_/g, " ") + ": "));
      var value = item[key];
      if (typeof value === "string" && INSTANT.test(value)) {
        li.appendChild(document.createTextNode(when(value, zone, true)));
      } else if (typeof value === "string") {
        li.appendChild(contactOrText(value, byId));
      } else if (Array.isArray(value)) {
        value.forEach(function (v, j) {
          if (j) { li.appendChild(document.createTextNode(", ")); }
          li.appendChild(typeof v === "string" ? contactOrText(v, byId) : document.createTextNode(JSON.stringify(v)));
        });
      } else if (typeof value === "number" && /_s$/.test(key)) {
        li.appendChild(document.createTextNode(duration(value)));
      } else {
        li.appendChild(document.createTextNode(JSON.stringify(value)));
      }
    });
    return li;
  }
  function contactOrText(text, byId) {
    if (!byId[text] && !CONTACT_ID.test(text)) { return document.createTextNode(text); }
    var a = el("a", "contact-link", text);
    a.href = "#contact-" + encodeURIComponent(text);
    a.dataset.contact = text;
    return a;
  }
  function isMore(item) {
    return item !== null && typeof item === "object" && Object.keys(item).length === 1 && typeof item.more === "number";
  }
  // "Show more" at the end of an evidence list the report cut at its first page ({more: n}):
  // more(number, shown, add, done) fetches the next page, add()s each item, then done(total
  // left to page through or null when none, error text).
  function moreButton(number, list, shown, left, more, byId, zone) {
    var li = el("li", "more");
    var button = el("button", "evidence-more", "Show more (" + left + " more)");
    button.type = "button";
    li.appendChild(button);
    var note = el("span", "print-only", "\u2026 and " + left + " more, listed in the CSV export.");
    li.appendChild(note);
    button.addEventListener("click", function () {
      button.disabled = true;
      button.textContent = "Loading\u2026";
      more(number, shown, function (item) {
        list.insertBefore(evidenceItem(item, byId, zone), li);
      }, function (total, error) {
        button.disabled = false;
        if (error) { button.textContent = error; return; }
        if (total === null) { li.remove(); return; }
        var rest = Math.max(0, total - Object.keys(shown).length);
        button.textContent = "Show more (" + rest + " more)";
        note.textContent = "\u2026 and " + rest + " more, listed in the CSV export.";
      });
    });
    return li;
  }
  function renderStandards(box, report, byId, zone, more) {
    clear(box);
    var given = report && has(report, "standards") ? report.standards : null;
    STANDARDS.forEach(function (s) {
      var st = given && given[s[0]] ? given[s[0]] : null;
      var rating = st && RATINGS[st.rating] ? st.rating : "unavailable";
      var card = el("article", "standard rating-" + rating);
      card.dataset.standard = s[0];
      card.dataset.rating = rating;
      card.setAttribute("aria-labelledby", "std-" + s[0]);
      var h = el("h3");
      h.id = "std-" + s[0];
      h.appendChild(el("span", "num", s[0]));
      h.appendChild(document.createTextNode(" " + s[1]));
      card.appendChild(h);
      var r = el("p", "rating");
      r.appendChild(el("span", "mark", RATINGS[rating][0])).setAttribute("aria-hidden", "true");
      r.appendChild(el("span", "word", RATINGS[rating][1]));
      card.appendChild(r);
      card.appendChild(el("p", "reason", st ? st.reason || "No reason given." :
        "Not available: this server does not rate the standards yet."));
      var listed = st && Array.isArray(st.evidence) ? st.evidence : [];
      var cut = more ? listed.filter(isMore).map(function (m) { return m.more; })[0] || 0 : 0;
      var evidence = cut ? listed.filter(function (item) { return !isMore(item); }) : listed;
      var toggle = el("button", "evidence-toggle", "Evidence (" + (evidence.length + cut) + ")");
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", "false");
      toggle.setAttribute("aria-controls", "evidence-" + s[0]);
      var list = el("ul", "evidence-list");
      list.id = "evidence-" + s[0];
      list.hidden = true;  // on paper every list is shown (reports.css, @media print)
      evidence.forEach(function (item) { list.appendChild(evidenceItem(item, byId, zone)); });
      if (!evidence.length) { list.appendChild(el("li", "empty", st ? "No evidence listed." : "Not available.")); }
      if (cut) {
        var shown = {};
        evidence.forEach(function (item) { if (item && item.contact_id) { shown[item.contact_id] = true; } });
        list.appendChild(moreButton(s[0], list, shown, cut, more, byId, zone));
      }
      toggle.addEventListener("click", function () {
        list.hidden = !list.hidden;
        toggle.setAttribute("aria-expanded", String(!list.hidden));
      });
      card.appendChild(toggle);
      card.appendChild(list);
      box.appendChild(card);
    });
  }

  // -- a contact's facts -------------------------------------------------------
  function fact(key, value, zone) {
    if (value === undefined) { return "not available"; }
    if (value === null) { return key === "within_target" ? "not decided (pending or not a contact)" : "none"; }
    if (key.slice(-3) === "_at") { return when(value, zone); }
    if (key === "time_to_answer_s") { return duration(value); }
    if (typeof value === "boolean") { return value ? "yes" : "no"; }
    if (Array.isArray(value)) { return value.length ? value.join(", ") : "none"; }
    return String(value);
  }
  // The facts of one contact: its row from /v1/reports/contacts (asked for when it is opened;
  // `loading` until it comes), else what its breach entry says.
  function fillContact(box, row, breach, zone, loading) {
    clear(box);
    var source = row || breach || {};
    FACTS.forEach(function (f) {
      box.appendChild(el("dt", null, f[1]));
      var value = source[f[0]];
      box.appendChild(el("dd", value === undefined ? "na" : null, fact(f[0], value, zone)));
    });
    if (breach) {
      box.appendChild(el("dt", null, "Waited (breach)"));
      box.appendChild(el("dd", null, duration(breach.waited_s)));
    }
    if (!row) {
      box.appendChild(el("dt", null, "Details"));
      box.appendChild(el("dd", "na", loading ? "loading\u2026" : "not available: this contact is not among the period's rows"));
    }
  }

  window.SafetyNetParts = {
    RATINGS: RATINGS, el: el, clear: clear, has: has, duration: duration, when: when,
    contactOrText: contactOrText, renderStandards: renderStandards, fillContact: fillContact
  };
}());
