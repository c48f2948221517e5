/* SafetyNet scheduler's week: fetch the server-rendered week with the bearer token and show it.
 *
 * The token lives in sessionStorage, as in the console: it survives a reload of this tab, not
 * closing it, and (unlike a cookie) the browser never attaches it to a request by itself.
 * The query of this page (?week=YYYY-MM-DD&roster=NAME&source=published|draft) is passed on
 * to /schedule/week unchanged; the fragment that comes back was escaped on the server and
 * the page's Content-Security-Policy allows no inline script, so it is inserted as HTML.
 */
(function () {
  "use strict";
  var KEY = "safetynet.schedule.token";
  var token = sessionStorage.getItem(KEY);

  function $(id) { return document.getElementById(id); }

  function showSignin(message) {
    $("signin").hidden = false;
    $("signout").hidden = true;
    $("signin-error").textContent = message || "";
  }

  function load() {
    $("notice").textContent = "";
    return fetch("/schedule/week" + window.location.search, {
      headers: { Authorization: "Bearer " + token }
    }).then(function (response) {
      return response.text().then(function (text) {
        if (response.ok) {
          sessionStorage.setItem(KEY, token);
          $("signin").hidden = true;
          $("signout").hidden = false;
          $("content").innerHTML = text;
          return;
        }
        var message = response.statusText;
        try { message = JSON.parse(text).error.message; } catch (ignored) { /* not JSON */ }
        if (response.status === 401 || response.status === 403) {
          token = null;
          sessionStorage.removeItem(KEY);
          $("content").textContent = "";
          showSignin(response.status === 401 ? "That token was not accepted." : message);
          return;
        }
        $("signin").hidden = true;
        $("signout").hidden = false;
        $("notice").textContent = message;
      });
    }).catch(function (error) {
      $("notice").textContent = "Could not reach SafetyNet: " + error.message;
    });
  }

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    token = $("token").value.trim();
    $("token").value = "";
    if (token) { load(); }
  });
  $("signout").addEventListener("click", function () {
    sessionStorage.removeItem(KEY);
    token = null;
    $("content").textContent = "";
    showSignin("");
  });

  if (token) { load(); } else { showSignin(""); }
}());
