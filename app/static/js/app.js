// Small, CSP-safe behaviours. No inline scripts anywhere: everything is here.
(function () {
  "use strict";

  // Close buttons on alerts (also on alerts swapped in later).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      var alert = button.closest(".alert");
      if (alert) alert.remove();
    }
  });

  // Select-all checkbox for bulk actions.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-check-all]");
    if (!all) return;
    var scope = document.querySelectorAll(all.getAttribute("data-check-all"));
    scope.forEach(function (box) { box.checked = all.checked; });
  });

  // Submit a filter form when a select in it changes, for browsers without htmx.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && !window.htmx) select.form.submit();
  });

  // The modal dialog: content swapped into <dialog id="modal"> opens it; [data-close-dialog] closes it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target;
    if (dialog && dialog.id === "modal" && dialog.showModal && !dialog.open) dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    var dialog = closer && closer.closest("dialog");
    if (dialog) dialog.close();
  });

  // Escape closes an inline edit row by clicking its cancel button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var row = event.target.closest && event.target.closest("[data-editing]");
    if (row) {
      var cancel = row.querySelector("[data-cancel]");
      if (cancel) cancel.click();
    }
  });

  // Move focus into content that htmx swaps in when it asks for it.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    var focus = target && target.querySelector && target.querySelector("[data-autofocus]");
    if (focus) focus.focus();
  });
})();
