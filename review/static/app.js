// Small conveniences only; every page works without script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("input.pick").forEach((box) => { box.checked = all.checked; });
    });
  }
  // The category only matters for "confirm" and "close"; hide it otherwise.
  document.querySelectorAll("fieldset.decide").forEach((set) => {
    const action = set.querySelector(".action-select");
    const field = set.querySelector(".category-field");
    if (!action || !field) return;
    const update = () => {
      const needs = action.value === "confirm" || action.value === "close";
      field.hidden = !needs;
      set.querySelectorAll("option.close-only").forEach((o) => { o.hidden = action.value !== "close"; });
    };
    action.addEventListener("change", update);
    update();
  });
});
