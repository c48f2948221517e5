/* SafetyNet console, during a contact: add a flag or raise the priority (a caller who says they
 * are 15 is flagged minor, so the close asks for the mandated report), and for the supervisor,
 * hand the contact to a named responder. Each is one API call; its answer shows at the card.
 *
 * API: POST /v1/contacts/{id}/flags {add: [flag], priority?}; POST /v1/contacts/{id}/reassign
 * {responder}.
 */
(function () {
  "use strict";
  var SN = window.SafetyNet = window.SafetyNet || {};
  var RANK = { critical: 0, high: 1, normal: 2, low: 3 };

  function option(value, text) { var o = SN.el("option", null, text); o.value = value; return o; }
  function labelled(text, input) {
    var box = SN.el("label", "field");
    box.append(SN.el("span", "label", text), input);
    return box;
  }

  SN.contactTools = function (contact) {
    var el = SN.el;
    var proto = SN.protocol;
    var current = contact;
    var root = el("details", "tools");
    root.append(el("summary", null, "Flag, priority, hand over"));
    var error = el("p", "error tools-error");
    error.setAttribute("role", "alert");

    // Flags and priority.
    var flag = el("select", "add-flag");
    var priority = el("select", "raise-priority");
    var record = el("button", "record-flag", "Record");
    record.type = "button";
    var flagRow = el("div", "tool");
    flagRow.append(labelled("Add a flag", flag), labelled("Raise priority to", priority), record);

    // Reassign (the supervisor's view only).
    var to = el("select", "reassign-to");
    var hand = el("button", "reassign secondary", "Hand over");
    hand.type = "button";
    var handRow = el("div", "tool reassign-row");
    handRow.append(labelled("Hand this contact to", to), hand);

    root.append(flagRow, handRow, error);

    function show(err) { error.textContent = err.message; }
    function draw() {
      var c = current;
      var have = c.flags || [];
      var chosen = [flag.value, priority.value];   // a refresh must not undo a half-made choice
      flag.textContent = "";
      flag.append(option("", "No new flag"));
      (proto.flags || []).forEach(function (f) {
        if (have.indexOf(f.id) < 0) { flag.append(option(f.id, f.label)); }
      });
      priority.textContent = "";
      priority.append(option("", "Keep " + c.priority));
      (proto.priorities || []).forEach(function (p) {
        if (RANK[p] < RANK[c.priority]) { priority.append(option(p, p)); }
      });
      flag.value = chosen[0];
      priority.value = chosen[1];
      if (flag.selectedIndex < 0) { flag.value = ""; }
      if (priority.selectedIndex < 0) { priority.value = ""; }
      var board = SN.supervisor && SN.supervisor.board();
      handRow.hidden = !(SN.me.supervisor && board);
      if (!handRow.hidden) {
        var keep = to.value;
        to.textContent = "";
        to.append(option("", "Choose a responder…"));
        board.responders.forEach(function (r) {
          if (r.id !== c.responder) {
            to.append(option(r.id, r.name + " (" + SN.stateText(SN.staffState(r), false) + ")"));
          }
        });
        to.value = keep;
        if (to.selectedIndex < 0) { to.value = ""; }
      }
    }
    record.addEventListener("click", function () {
      error.textContent = "";
      var body = { add: flag.value ? [flag.value] : [] };
      if (priority.value) { body.priority = priority.value; }
      if (!body.add.length && !body.priority) { error.textContent = "Choose a flag or a higher priority first."; return; }
      SN.act(SN.api("POST", "/v1/contacts/" + current.id + "/flags", body), show);
    });
    hand.addEventListener("click", function () {
      error.textContent = "";
      if (!to.value) { error.textContent = "Choose who takes the contact over."; return; }
      SN.act(SN.api("POST", "/v1/contacts/" + current.id + "/reassign", { responder: to.value }), show);
    });
    draw();
    return { root: root, update: function (fresh) { current = fresh; draw(); } };
  };
}());
