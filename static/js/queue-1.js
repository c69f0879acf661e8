// Guildhall's queues: "Select all on this page" checks every row, and
// unchecking a row clears it. Without JavaScript the server reads the same
// box and decides every row of the page. (The file name carries a version:
// change it with the content, as static files are cached for a year.)
document.addEventListener("change", (e) => {
  const box = e.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox" || !box.form) return;
  const all = box.form.querySelector("input[data-select-all]");
  if (!all) return;
  const rows = [...box.form.querySelectorAll("input[type=checkbox][name=request]")];
  if (box === all) {
    rows.forEach((r) => { r.checked = all.checked; });
  } else if (rows.includes(box)) {
    all.checked = rows.length > 0 && rows.every((r) => r.checked);
  }
});
