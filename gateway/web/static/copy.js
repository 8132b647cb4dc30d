// Progressive enhancement: copy buttons (the pages work without it).
document.querySelectorAll("button.copy").forEach(function (button) {
  if (!navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var target = document.getElementById(button.dataset.copy);
    if (!target) { return; }
    navigator.clipboard.writeText(target.textContent).then(function () {
      var label = button.textContent;
      button.textContent = button.dataset.done;
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });
});
