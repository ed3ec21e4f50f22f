// The console's own script: small conveniences only; every page works without it.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.classList || !box.classList.contains("select-all")) return;
  var table = box.closest("table");
  table.querySelectorAll('input[type="checkbox"][name="application_id"]').forEach(function (item) {
    item.checked = box.checked;
  });
});
