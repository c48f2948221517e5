/* SafetyNet console, the close form: everything the protocol requires to close a contact.
 *
 * Dispositions are listed by their labels (the id is what is recorded). The form asks for what
 * the chosen disposition requires — the safety plan, a referral chosen from the partner
 * directory, notes — and, when the contact is flagged for it (minor, vulnerable adult), the
 * mandated-report checklist in the protocol's own words (Standard 30). The API decides; its
 * answer is shown at the card, each problem next to its field. Fields are stacked full width so
 * nothing is cut off on a phone.
 */
(function () {
  "use strict";
  var SN = window.SafetyNet = window.SafetyNet || {};

  function field(labelText, input, cls) {
    var el = SN.el;
    var box = el("label", "field" + (cls ? " " + cls : ""));
    var head = el("span", "label", labelText);
    var problem = el("span", "problem");
    problem.setAttribute("role", "alert");
    box.append(head, input, problem);
    // A problem is answered by changing the field: it goes away at once.
    function clear() {
      problem.textContent = "";
      input.removeAttribute("aria-invalid");
      var form = box.closest("form");
      if (form && !form.querySelector("[aria-invalid]")) { form.querySelector(".form-error").textContent = ""; }
    }
    input.addEventListener("input", clear);
    input.addEventListener("change", clear);
    return { root: box, input: input, head: head, problem: problem, ask: labelText };
  }
  function textarea(rows) { var t = SN.el("textarea"); t.rows = rows; return t; }
  function option(value, text) { var o = SN.el("option", null, text); o.value = value; return o; }

  SN.closeForm = function (contact) {
    var el = SN.el;
    var proto = SN.protocol;
    var report = proto.mandated_report || { when_flags: [], checklist: [], agencies: [] };
    var flags = contact.flags || [];
    var form = el("form", "close-form");
    var needsReport = null;
    form.noValidate = true;

    // Disposition, by label.
    var disposition = el("select", "disposition");
    disposition.append(option("", "Choose what the person was given…"));
    proto.dispositions.forEach(function (d) { disposition.append(option(d, (proto.labels || {})[d] || d)); });
    var fDisposition = field("Disposition", disposition);

    // What a disposition may require.
    var fSafety = field("Safety plan made with the person", textarea(3), "safety-plan");
    var partner = el("select", "referral");
    partner.append(option("", "Choose a partner from the directory…"));
    var partners = {};
    (proto.partners || []).forEach(function (p) {
      partners[p.id] = p;
      partner.append(option(p.id, p.name + (p.open_now ? "" : " (closed now)")));
    });
    var fReferral = field("Referred to", partner, "referral");
    // What the chosen partner does, under the select: the option text stays short enough to read.
    var about = el("span", "about");
    fReferral.root.insertBefore(about, fReferral.problem);
    partner.addEventListener("change", function () {
      var p = partners[partner.value];
      about.textContent = p ? [p.services.map(SN.words).join(", "), p.languages.join(", ")]
        .filter(Boolean).join(" · ") : "";
    });
    var fNotes = field("Notes", textarea(2), "notes");

    // Standard 30: the mandated-report checklist.
    var mandated = el("fieldset", "mandated");
    mandated.append(el("legend", null, "Mandated report"));
    var items = {};
    var suggestions = el("div", "suggestions");
    report.checklist.forEach(function (item) {
      var input;
      if (item.key === "when") {
        input = el("input");
        input.type = "datetime-local";
      } else {
        input = textarea(2);   // answers run long (an agency's full name): never cut off on a phone
      }
      input.name = "mandated_report." + item.key;
      var f = field(item.ask + (item.required ? "" : " (optional)"), input, "item-" + item.key);
      f.ask = item.ask;
      items[item.key] = f;
      mandated.append(f.root);
      if (item.key === "to") { mandated.append(suggestions); }
      if (item.key === "when") {
        // Most reports are made during or right after the contact: one tap for "now".
        var now = el("button", "now secondary", "The time now");
        now.type = "button";
        now.addEventListener("click", function () {
          var d = new Date();
          d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
          input.value = d.toISOString().slice(0, 16);
          input.dispatchEvent(new Event("input"));
        });
        mandated.append(now);
      }
    });
    var none = el("input");
    none.type = "checkbox";
    none.className = "not-required";
    var noneLabel = el("label", "check");
    noneLabel.append(none, document.createTextNode(" No report was required"));
    var fReason = field("Why no report was required", textarea(2), "not-required-reason");
    fReason.root.hidden = true;
    none.addEventListener("change", function () {
      fReason.root.hidden = !none.checked;
      Object.keys(items).forEach(function (k) { items[k].root.hidden = none.checked; });
      suggestions.hidden = none.checked || suggestions.children.length < 2;
    });
    mandated.append(noneLabel, fReason.root);

    var error = el("p", "error form-error");
    error.setAttribute("role", "alert");
    var close = el("button", "close danger", "Close contact");
    close.type = "submit";
    form.append(fDisposition.root, fSafety.root, fReferral.root, mandated, fNotes.root, error, close);

    function needs() { return (proto.requires || {})[disposition.value] || []; }
    function flagged() { return flags.some(function (f) { return report.when_flags.indexOf(f) >= 0; }); }
    function show() {
      var n = needs();
      fSafety.root.hidden = n.indexOf("safety_plan") < 0;
      fReferral.root.hidden = n.indexOf("referral") < 0;
      fNotes.head.textContent = n.indexOf("notes") >= 0 ? "Notes (required)" : "Notes (optional)";
      mandated.hidden = !flagged();
      if (needsReport) { needsReport.hidden = !flagged(); }
      // The protocol's agencies for this contact's flags, one tap to fill "to whom".
      suggestions.textContent = "";
      suggestions.append(el("span", "hint", "Agencies for this contact's flags — tap to fill:"));
      report.agencies.forEach(function (a) {
        if (!items.to || (a.for_flags.length && !a.for_flags.some(function (f) { return flags.indexOf(f) >= 0; }))) {
          return;
        }
        var use = el("button", "suggestion secondary", a.name);
        use.type = "button";
        use.addEventListener("click", function () {
          items.to.input.value = a.name;
          items.to.input.dispatchEvent(new Event("input"));
          items.to.input.focus();
        });
        suggestions.append(use);
      });
      suggestions.hidden = none.checked || suggestions.children.length < 2;
    }
    disposition.addEventListener("change", show);

    function clearProblems() {
      var all = [fDisposition, fSafety, fReferral, fNotes, fReason].concat(
        Object.keys(items).map(function (k) { return items[k]; }));
      all.forEach(function (f) { f.problem.textContent = ""; f.input.removeAttribute("aria-invalid"); });
      error.textContent = "";
    }
    function target(loc) {
      var path = loc.filter(function (p) { return p !== "body"; });
      if (path[0] === "mandated_report") {
        return path[1] && items[path[1]] ? items[path[1]] : (none.checked ? fReason : null);
      }
      return { disposition: fDisposition, safety_plan: fSafety, referral: fReferral, notes: fNotes }[path[0]] || null;
    }
    // The API's answer at the card: the whole message, and each problem next to its field
    // (the details carry the field's path, e.g. ["mandated_report", "to"]).
    function showError(err) {
      clearProblems();
      var details = err.details || [];
      var placed = 0;
      details.forEach(function (d) {
        var f = target(d.loc || []);
        if (!f) { return; }
        placed += 1;
        // The checklist's problems repeat its question, already the field's label.
        f.problem.textContent = d.msg === f.ask ? "Required for the mandated report." : d.msg;
        f.input.setAttribute("aria-invalid", "true");
      });
      // Every problem shown at its field: a short summary here; otherwise the API's own words.
      error.textContent = details.length && placed === details.length ?
        "Not closed yet: " + (placed === 1 ? "1 field needs" : placed + " fields need") + " attention (marked in red)." :
        "Not closed: " + err.message;
      error.scrollIntoView({ block: "nearest" });
    }

    function body() {
      var n = needs();
      var out = { disposition: disposition.value };
      var notes = fNotes.input.value.trim();
      if (notes) { out.notes = notes; }
      if (n.indexOf("safety_plan") >= 0) { out.safety_plan = fSafety.input.value.trim(); }
      if (n.indexOf("referral") >= 0 && partner.value) { out.referral = { partner: partner.value }; }
      if (flagged()) {
        var r = {};
        if (none.checked) {
          r.not_required = fReason.input.value.trim();
        } else {
          Object.keys(items).forEach(function (k) {
            var v = items[k].input.value.trim();
            if (v && items[k].input.type === "datetime-local") { v = new Date(v).toISOString(); }
            if (v) { r[k] = v; }
          });
        }
        out.mandated_report = r;
      }
      return out;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearProblems();
      close.disabled = true;
      SN.act(SN.api("POST", "/v1/contacts/" + contact.id + "/close", body()), showError)
        .then(function () { close.disabled = false; });
    });
    // Folded until the responder is ready to close, so a screen of open contacts stays short;
    // the summary says up front when the close will need a mandated report.
    var root = el("details", "closing");
    var summary = el("summary", null, "Close this contact");
    needsReport = el("span", "needs-report", " · mandated report needed");
    summary.append(needsReport);
    root.append(summary, form);
    show();
    return {
      root: root,
      update: function (fresh) { flags = fresh.flags || []; show(); }
    };
  };
}());
