"The notebooks that papermill executes, shipped with the package as `loss_landscape.templates`."
