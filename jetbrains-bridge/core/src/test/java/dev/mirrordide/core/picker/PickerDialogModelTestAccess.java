package dev.mirrordide.core.picker;

import com.google.gson.Gson;

/** Shares the sample picker items with tests in other packages, as the server would send them. */
public final class PickerDialogModelTestAccess {
  private PickerDialogModelTestAccess() {}

  public static String itemsJson() {
    return new Gson().toJson(PickerDialogModelTest.items());
  }
}
