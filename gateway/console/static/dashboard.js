// The dashboard's live feed: server-sent events from /console/dashboard/feed, shown as text
// (never as HTML). The page works without it; the figures are server-rendered.
(function () {
  "use strict";
  var MAX_ITEMS = 50;

  function start() {
    var section = document.getElementById("live");
    if (!section || !window.EventSource) return;
    var list = document.getElementById("feed");
    var status = document.getElementById("feed-status");

    function say(state) {
      status.textContent = section.dataset[state] || "";
      status.className = "feed-status " + state;
    }

    var source = new EventSource(section.dataset.feedUrl);
    source.addEventListener("status", function (event) {
      var data = JSON.parse(event.data);
      say(data.online ? "online" : data.busy ? "busy" : "offline");
    });
    source.addEventListener("activity", function (event) {
      var data = JSON.parse(event.data);
      var item = document.createElement("li");
      item.dataset.type = data.type;
      var time = document.createElement("time");
      time.textContent = data.time;
      var text = document.createElement("span");
      text.textContent = data.text;
      item.appendChild(time);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(text);
      list.insertBefore(item, list.firstChild);
      while (list.children.length > MAX_ITEMS) list.removeChild(list.lastChild);
    });
    source.addEventListener("end", function () {
      source.close();
      say("ended");
    });
    source.onerror = function () {
      // Closed for good (no session: 204) or trying again after a dropped connection.
      say(source.readyState === EventSource.CLOSED ? "ended" : "reconnecting");
    };
    window.addEventListener("pagehide", function () { source.close(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
