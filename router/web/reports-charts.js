/* SafetyNet manager's page: the charts, drawn with the vendored Chart.js (window.Chart).
 *
 * window.SafetyNetCharts.draw({report, ctx, duration}) draws five charts from the report alone
 * (its per-day figures `daily`, counted by the server: a year is 365 entries, never one per
 * contact): time to answer by day (mean, longest) against the target line, the share answered
 * within the target by day and by channel, breaches by day, and roster coverage by day. A chart whose data
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

  function days(ctx) { return ctx.days.map(function (d) { return d.date; }); }
  function dayLabel(day) {
    return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "numeric", month: "short" })
      .format(new Date(day + "T12:00:00Z"));
  }
  // The report's per-day figures (`daily`, counted by the server in the hotline's zone), keyed by
  // date; null when the server sent none. The page never downloads the period's contacts for them.
  function daily(a) {
    if (!a.report || !Array.isArray(a.report.daily)) { return null; }
    var by = {};
    a.report.daily.forEach(function (d) { by[d.date] = d; });
    return by;
  }
  function minutes(seconds) { return seconds === null || seconds === undefined ? null : Math.round(seconds / 6) / 10; }

  function answerChart(a) {
    var by = daily(a);
    if (!by) { unavailable("answer", "Not available: the report has no daily figures."); return; }
    var all = days(a.ctx);
    var answered = all.filter(function (d) { return by[d] && by[d].answered; });
    if (!answered.length) { unavailable("answer", "No contact was answered in this period."); return; }
    var tta = function (d, key) { return by[d] && by[d].answered ? minutes(by[d].time_to_answer_s[key]) : null; };
    var mean = all.map(function (d) { return tta(d, "mean"); });
    var longest = all.map(function (d) { return tta(d, "max"); });
    var target = a.ctx.target_s / 60;
    var top = Math.max.apply(null, longest.map(function (v) { return v || 0; }).concat([target]));
    chart("answer", {
      type: "bar",
      data: { labels: all.map(dayLabel), datasets: [
        { label: "Mean time to answer", data: mean, backgroundColor: mean.map(function (v) {
          return v !== null && v > target ? RED : GREEN; }) },
        { type: "line", label: "Longest wait answered", data: longest, borderColor: AMBER, backgroundColor: AMBER,
          pointStyle: "triangle", pointRadius: 5, showLine: false },
        { type: "line", label: "Target (" + a.duration(a.ctx.target_s) + ")", data: all.map(function () { return target; }),
          borderColor: RED, borderDash: [6, 4], borderWidth: 2, pointRadius: 0, pointStyle: "line" }
      ] },
      options: {
        scales: { y: { beginAtZero: true, suggestedMax: top * 1.2, title: { display: true, text: "minutes to answer" } } },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 10 } },
          tooltip: { callbacks: { label: function (item) {
            return item.raw === null ? item.dataset.label + ": none" : item.dataset.label + ": " + a.duration(item.raw * 60);
          } } }
        }
      }
    }, "Time to answer by day against the target of " + a.duration(a.ctx.target_s) + ": " + answered.map(function (d) {
      var f = by[d].time_to_answer_s;
      return dayLabel(d) + " mean " + a.duration(f.mean) + ", longest " + a.duration(f.max) + " (" + by[d].answered +
        " answered)";
    }).join("; ") + ".");
  }

  function dayChart(a) {
    var by = daily(a);
    if (!by) { unavailable("days", "Not available: the report has no daily figures."); return; }
    var all = days(a.ctx);
    var decided = all.filter(function (d) { return by[d] && by[d].within_target_pct !== null && by[d].within_target_pct !== undefined; });
    if (!decided.length) { unavailable("days", "No contact in this period has a decided outcome yet."); return; }
    var values = all.map(function (d) { return decided.indexOf(d) >= 0 ? by[d].within_target_pct : null; });
    chart("days", {
      type: "bar",
      data: { labels: all.map(dayLabel), datasets: [{
        label: "% answered within the target", data: values,
        backgroundColor: values.map(function (v) { return v === 100 ? GREEN : AMBER; })
      }] },
      options: { scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } } }
    }, "Share answered within the target by day: " + decided.map(function (d) {
      return dayLabel(d) + " " + by[d].within_target_pct + "% of " + by[d].decided;
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
    var by = daily(a);
    if (!by) { unavailable("breaches", "Not available: the report has no daily figures."); return; }
    var all = days(a.ctx);
    var counts = all.map(function (d) { return by[d] ? by[d].breached : 0; });
    var total = counts.reduce(function (x, y) { return x + y; }, 0);
    chart("breaches", {
      type: "bar",
      data: { labels: all.map(dayLabel), datasets: [{ label: "Breaches", data: counts, backgroundColor: RED }] },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    }, total + " breaches of the target in the period" + (total ? ": " + all.filter(function (d, i) {
      return counts[i];
    }).map(function (d) { return dayLabel(d) + " " + counts[all.indexOf(d)]; }).join(", ") : "") + ".");
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
