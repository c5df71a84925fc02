package dev.mirrordide.core.picker;

/** Shows the dialog and blocks until the user decides. The IDE implements it with a modal dialog. */
@FunctionalInterface
public interface PickerView {
  PickerOutcome show(PickerDialogModel model);
}
