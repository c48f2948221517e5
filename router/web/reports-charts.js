/* SafetyNet manager's page: the charts, drawn with the vendored Chart.js (window.Chart).
 *
 * window.SafetyNetCharts.draw({report, rows, ctx, byId, duration, when}) draws five charts:
 * time to answer of each contact against the target line, the share answered within the
 * target by day and by channel, breaches by day, and roster coverage by day. A chart whose data
 * the server did not send says "not available" instead of drawing a guess. Every canvas carries
 * an aria-label that states its figures in words, so colour is never the only carrier.
 */
(function () {
  "use strict";
  var charts = {};
  var GREEN = "#047857", RED = "#b91c1c", AMBER = "#b45309", BLUE = "#1d4ed8", GREY = "#6b7280";

  function figure(id) { return document.getElementById("fig-" + id); }
  function destroy() {
    Object.keys(charts).forEach(function (id) { charts[id].destroy(); });
    charts = {};
  }
  function unavailable(id, text) {
    var fig = figure(id);
    fig.querySelector(".plot").hidden = true;
    var p = fig.querySelector(".empty");
    p.hidden = false;
    p.textContent = text;
    fig.dataset.state = "empty";
  }
  function chart(id, config, label) {
    var fig = figure(id);
    fig.querySelector(".plot").hidden = false;
    fig.querySelector(".empty").hidden = true;
    fig.dataset.state = "drawn";
    var canvas = fig.querySelector("canvas");
    canvas.setAttribute("aria-label", label);
    config.options = Object.assign({
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10 } } }
    }, config.options || {});
    charts[id] = new window.Chart(canvas, config);
  }

  // The hotline-local day of an instant, by the day starts the server computed in the hotline's
  // zone (/reports/period `days`): the browser's own zone never decides which day a contact fell on.
  function dayOf(iso, ctx) {
    var t = Date.parse(iso), found = null;
    ctx.days.forEach(function (d) { if (Date.parse(d.start) <= t) { found = d.date; } });
    return found;
  }
  function days(ctx) { return ctx.days.map(function (d) { return d.date; }); }
  function dayLabel(day) {
    return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short" })
      .format(new Date(day + "T12:00:00Z"));
  }
  function contactRows(rows) {
    return rows.filter(function (r) { return !r.kind || r.kind === "contact"; });
  }

  function answerChart(a) {
    if (!a.rows) { unavailable("answer", "Not available: this server does not list the period's contacts."); return; }
    var target = a.ctx.target_s / 60;
    var inTime = [], late = [], waiting = [];
    contactRows(a.rows).forEach(function (r) {
      if (r.time_to_answer_s === null || r.time_to_answer_s === undefined || !r.received_at) { return; }
      var point = { x: Date.parse(r.received_at), y: r.time_to_answer_s / 60, id: r.id };
      (r.time_to_answer_s <= a.ctx.target_s ? inTime : late).push(point);
    });
    ((a.report && a.report.breaches) || []).forEach(function (b) {
      var row = a.byId[b.contact_id];
      var received = b.received_at || (row && row.received_at);
      if (received && (!row || row.time_to_answer_s === null || row.time_to_answer_s === undefined)) {
        waiting.push({ x: Date.parse(received), y: b.waited_s / 60, id: b.contact_id });
      }
    });
    if (!inTime.length && !late.length && !waiting.length) {
      unavailable("answer", "No contact was answered in this period.");
      return;
    }
    var start = Date.parse(a.ctx.from), end = Date.parse(a.ctx.to);
    var zone = a.ctx.timezone;
    var small = inTime.length + late.length > 2000 ? 1.5 : 3;
    chart("answer", {
      type: "scatter",
      data: { datasets: [
        { label: "Answered within " + a.duration(a.ctx.target_s), data: inTime, backgroundColor: GREEN,
          borderColor: GREEN, pointStyle: "circle", pointRadius: small },
        { label: "Answered late", data: late, backgroundColor: RED, borderColor: RED, pointStyle: "triangle",
          pointRadius: small + 2 },
        { label: "Not answered: waited", data: waiting, backgroundColor: AMBER, borderColor: AMBER,
          pointStyle: "crossRot", pointRadius: 6, borderWidth: 2 },
        { type: "line", label: "Target (" + a.duration(a.ctx.target_s) + ")", data: [{ x: start, y: target },
          { x: end, y: target }], borderColor: RED, borderDash: [6, 4], borderWidth: 2, pointRadius: 0,
          pointStyle: "line" }
      ] },
      options: {
        parsing: true,
        scales: {
          // Ticks at the hotline's midnights (at most eight of them), labelled with their day.
          x: { type: "linear", min: start, max: end, afterBuildTicks: function (scale) {
            var every = Math.ceil(a.ctx.days.length / 8);
            scale.ticks = a.ctx.days.filter(function (d, i) { return i % every === 0; }).map(function (d) {
              return { value: Date.parse(d.start) };
            });
          }, ticks: { autoSkip: false, callback: function (v) {
            return new Intl.DateTimeFormat("en-GB", { timeZone: zone, day: "numeric", month: "short" }).format(new Date(v));
          } } },
          y: { beginAtZero: true, suggestedMax: target * 1.25, title: { display: true, text: "minutes to answer" } }
        },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10 } },
          tooltip: { callbacks: { label: function (item) {
            return item.raw.id ? item.raw.id + ": " + a.duration(item.raw.y * 60) : item.dataset.label;
          } } }
        }
      }
    }, "Time to answer: " + inTime.length + " contacts answered within the target, " + late.length +
      " answered late, " + waiting.length + " breached without an answer.");
  }

  function dayChart(a) {
    if (!a.rows) { unavailable("days", "Not available: this server does not list the period's contacts."); return; }
    var per = {};
    contactRows(a.rows).forEach(function (r) {
      if (r.within_target === null || r.within_target === undefined || !r.received_at) { return; }
      var d = dayOf(r.received_at, a.ctx);
      per[d] = per[d] || [0, 0];
      per[d][r.within_target ? 0 : 1] += 1;
    });
    var all = days(a.ctx);
    var decided = all.filter(function (d) { return per[d]; });
    if (!decided.length) { unavailable("days", "No contact in this period has a decided outcome yet."); return; }
    var values = all.map(function (d) { return per[d] ? Math.round(1000 * per[d][0] / (per[d][0] + per[d][1])) / 10 : null; });
    chart("days", {
      type: "bar",
      data: { labels: all.map(dayLabel), datasets: [{
        label: "% answered within the target", data: values,
        backgroundColor: values.map(function (v) { return v === 100 ? GREEN : AMBER; })
      }] },
      options: { scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } } }
    }, "Share answered within the target by day: " + decided.map(function (d) {
      return dayLabel(d) + " " + values[all.indexOf(d)] + "%";
    }).join(", ") + ".");
  }

  function channelChart(a) {
    var by = a.report && a.report.by_channel;
    if (!by) { unavailable("channels", "Not available: the report has no per-channel figures."); return; }
    var names = Object.keys(by).filter(function (c) { return by[c] && by[c].contacts; });
    if (!names.length) { unavailable("channels", "No contacts in this period."); return; }
    var values = names.map(function (c) { return by[c].within_target_pct === null ? null : by[c].within_target_pct; });
    chart("channels", {
      type: "bar",
      // The figure is in the label too: a 0% bar has no length to see.
      data: { labels: names.map(function (c, i) {
        return c + " " + (values[i] === null ? "\u2013" : values[i] + "%") + " of " + by[c].contacts;
      }), datasets: [{
        label: "% answered within the target", data: values,
        backgroundColor: values.map(function (v) { return v === 100 ? GREEN : AMBER; })
      }] },
      options: { indexAxis: "y", scales: { x: { min: 0, max: 100, title: { display: true, text: "%" } } } }
    }, "Share answered within the target by channel: " + names.map(function (c, i) {
      return c + " " + (values[i] === null ? "none decided" : values[i] + "%") + " of " + by[c].contacts + " contacts";
    }).join(", ") + ".");
  }

  function breachChart(a) {
    var list = a.report && a.report.breaches;
    if (!Array.isArray(list)) { unavailable("breaches", "Not available: the report lists no breaches."); return; }
    var all = days(a.ctx);
    var counts = all.map(function () { return 0; });
    var unplaced = 0;
    list.forEach(function (b) {
      var received = b.received_at || (a.byId[b.contact_id] || {}).received_at;
      var i = received ? all.indexOf(dayOf(received, a.ctx)) : -1;
      if (i >= 0) { counts[i] += 1; } else { unplaced += 1; }
    });
    chart("breaches", {
      type: "bar",
      data: { labels: all.map(dayLabel), datasets: [{ label: "Breaches", data: counts, backgroundColor: RED }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    }, list.length + " breaches of the target in the period" + (list.length ? ": " + all.filter(function (d, i) {
      return counts[i];
    }).map(function (d) { return dayLabel(d) + " " + counts[all.indexOf(d)]; }).join(", ") : "") +
      (unplaced ? " (" + unplaced + " without a day)" : "") + ".");
  }

  function coverageChart(a) {
    var cov = a.report && a.report.coverage;
    var by = cov && Array.isArray(cov.by_day) ? cov.by_day : null;
    if (!by) { unavailable("coverage", "Not available: the report has no coverage by day."); return; }
    if (!by.length) { unavailable("coverage", "No days in this period."); return; }
    var labels = by.map(function (d) { return dayLabel(d.date); });
    chart("coverage", {
      type: "bar",
      data: { labels: labels, datasets: [
        { label: "Primary covered %", data: by.map(function (d) { return d.primary_covered_pct; }), backgroundColor: BLUE },
        { label: "Backup covered %", data: by.map(function (d) { return d.backup_covered_pct; }), backgroundColor: GREY }
      ] },
      options: { scales: { y: { min: 0, max: 100, title: { display: true, text: "% of the day" } } } }
    }, "Roster coverage by day: " + by.map(function (d) {
      return dayLabel(d.date) + " primary " + d.primary_covered_pct + "%, backup " + d.backup_covered_pct + "%";
    }).join("; ") + ".");
  }

  function draw(a) {
    destroy();
    [answerChart, dayChart, channelChart, breachChart, coverageChart].forEach(function (fn) {
      try {
        fn(a);
      } catch (error) {
        // One chart's bad data must not take the others (or the standards) down with it.
        var id = fn === answerChart ? "answer" : fn === dayChart ? "days" : fn === channelChart ? "channels" :
          fn === breachChart ? "breaches" : "coverage";
        unavailable(id, "This chart could not be drawn: " + error.message);
        if (window.console) { window.console.warn(error); }
      }
    });
  }

  // Chart.js does not resize for print on its own; the print stylesheet gives charts a paper width.
  if (window.matchMedia) {
    window.matchMedia("print").addEventListener("change", function () {
      Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    });
  }

  window.SafetyNetCharts = { draw: draw, destroy: destroy };
}());
